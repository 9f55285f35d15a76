"""Fixtures for the SDK's tests: the anyio backend, a set-up owner and paired agents on a live relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from owner_pairing import pair_approved

from hiloop import AsyncHiloopClient, AsyncOwnerClient


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


@pytest.fixture
async def agent(owner: AsyncOwnerClient) -> AsyncIterator[AsyncHiloopClient]:
    creds = await pair_approved(owner, "tester")
    client = AsyncHiloopClient(api_key=creds.api_key)
    try:
        yield client
    finally:
        await client.aclose()
