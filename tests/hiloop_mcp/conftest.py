"""Fixtures for the MCP server's tests: servers without an identity, and (with a live relay) a paired agent."""

from __future__ import annotations

import pytest

from hiloop.errors import ConfigError
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
