"""Fixtures for the MCP server's tests: servers without an identity, and (with a live relay) a paired agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from owner_pairing import pair_approved

from hiloop.errors import ConfigError
from hiloop.owner import AsyncOwnerClient
from hiloop.store import AgentCredentials
from hiloop_mcp import ServerOptions, create_server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class CountingFactory:
    """A client factory with no identity behind it, counting how often a tool tried to open the client."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        raise ConfigError("no agent is paired (test)")


@pytest.fixture
def no_identity() -> CountingFactory:
    return CountingFactory()


@pytest.fixture
def unpaired_server(no_identity: CountingFactory):  # type: ignore[no-untyped-def]
    return create_server(ServerOptions(client_factory=no_identity))  # type: ignore[arg-type]


@dataclass
class Paired:
    """A live relay with an owner (set up through the SDK) and one agent it approved, stored in HILOOP_HOME."""

    relay: Any
    owner: AsyncOwnerClient
    agent: AgentCredentials


@pytest.fixture
async def owner(live_relay: Any) -> AsyncIterator[AsyncOwnerClient]:
    """The relay's owner, set up with the one-time set-up token (no agent yet)."""
    await AsyncOwnerClient.setup(live_relay.url, live_relay.setup_token)
    async with AsyncOwnerClient.load() as client:
        yield client


@pytest.fixture
async def paired(live_relay: Any, owner: AsyncOwnerClient) -> Paired:
    agent = await pair_approved(owner, "mcp-test", live_relay.url)
    return Paired(relay=live_relay, owner=owner, agent=agent)
