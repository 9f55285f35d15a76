"""Fixtures for the SDK's tests: the anyio backend, a set-up owner and paired agents on a live relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from hiloop import AsyncHiloopClient, AsyncOwnerClient
from hiloop.pairing import pair_agent_async
from hiloop.store import AgentCredentials


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def owner(live_relay: Any) -> AsyncIterator[AsyncOwnerClient]:
    """The relay's owner, set up from its set-up token, signed in on this 'terminal'."""
    await AsyncOwnerClient.setup(live_relay.url, live_relay.setup_token)
    client = AsyncOwnerClient.load()
    try:
        yield client
    finally:
        await client.aclose()


async def pair(owner: AsyncOwnerClient, name: str) -> AgentCredentials:
    """Pair an agent called `name`, the owner approving from the link as soon as it is shown."""
    links: list[str] = []
    shown = anyio.Event()

    def on_link(link: str) -> None:
        links.append(link)
        shown.set()

    async def approve() -> None:
        await shown.wait()
        await owner.approve_pairing(links[0])

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(approve)
            creds = await pair_agent_async(owner.base_url, name, on_link=on_link, timeout=15)
    return creds


@pytest.fixture
async def agent(owner: AsyncOwnerClient) -> AsyncIterator[AsyncHiloopClient]:
    creds = await pair(owner, "tester")
    client = AsyncHiloopClient(api_key=creds.api_key)
    try:
        yield client
    finally:
        await client.aclose()
