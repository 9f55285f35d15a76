"""Pair an agent the way `hiloop agent add` does, the owner approving the link as soon as it is shown.

Importable from any test as `from owner_pairing import pair_approved` (tests/conftest.py puts this
folder on sys.path)."""

from __future__ import annotations

import anyio

from hiloop.owner import AsyncOwnerClient
from hiloop.pairing import pair_agent_async
from hiloop.store import AgentCredentials


async def pair_approved(
    owner: AsyncOwnerClient, name: str, relay_url: str | None = None, timeout: float = 30
) -> AgentCredentials:
    """Pair `name` with `relay_url` (the owner's relay by default); the stored credentials."""
    links: list[str] = []
    shown = anyio.Event()

    def on_link(link: str) -> None:
        links.append(link)
        shown.set()

    async def approve() -> None:
        await shown.wait()
        await owner.approve_pairing(links[0])

    with anyio.fail_after(timeout):
        async with anyio.create_task_group() as tg:
            tg.start_soon(approve)
            return await pair_agent_async(relay_url or owner.base_url, name, on_link=on_link, timeout=timeout)
