"""Fixtures for system tests: the relay as a real process (`./run`), an owner set up from its printed
link and an agent paired over a real socket."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from owner_pairing import pair_approved
from system_relay import RelayProcess, World, free_port

from hiloop import AsyncHiloopClient, AsyncOwnerClient


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def relay_process(tmp_path: Path, hiloop_env: Path) -> Iterator[RelayProcess]:
    env = {**os.environ, "BROWSER": "true"}  # `./run` opens the app; here the "browser" is a no-op
    relay = RelayProcess(db_path=tmp_path / "relay" / "relay.db", port=free_port(), env=env)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture
async def world(relay_process: RelayProcess) -> AsyncIterator[World]:
    """An owner set up from the printed set-up link and an agent paired and approved by that owner."""
    assert relay_process.setup_link, "a fresh relay prints its set-up link"
    await AsyncOwnerClient.setup(relay_process.url, relay_process.setup_link)
    owner = AsyncOwnerClient.load()
    creds = await pair_approved(owner, "system-bot", relay_process.url, timeout=20)
    agent = AsyncHiloopClient(api_key=creds.api_key)
    try:
        yield World(relay_process, owner, agent)
    finally:
        await agent.aclose()
        await owner.aclose()
