"""The server's lifespan state: one SDK client for the stored agent, opened once and shared by tools.

With no identity stored the server still starts; each tool call tries again (so pairing while the
server runs works without a restart) and, failing that, answers with a ToolError that says how to pair.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from hiloop.errors import ConfigError, HiloopError

from ._errors import PAIRING_HELP, explain

if TYPE_CHECKING:
    from hiloop.client import AsyncHiloopClient

log = logging.getLogger("hiloop_mcp")

ClientFactory = Callable[[], "AsyncHiloopClient"]


def default_client() -> AsyncHiloopClient:
    """The SDK client for the stored agent (HILOOP_HOME, HILOOP_AGENT, HILOOP_URL, HILOOP_API_KEY)."""
    from hiloop.client import AsyncHiloopClient

    return AsyncHiloopClient()


@dataclass
class ServerOptions:
    """Settings of one server instance (built by the CLI from its flags)."""

    client_factory: ClientFactory = default_client
    progress_interval: float = 5.0  # seconds between progress notifications while a tool waits


@dataclass
class HiloopState:
    """What tools read from `ctx.request_context.lifespan_context`."""

    options: ServerOptions
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _client: AsyncHiloopClient | None = None
    _lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def client(self) -> AsyncHiloopClient:
        """The open SDK client, or a ToolError telling the model how to get one."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    client = self.options.client_factory()
                    self._client = await self._stack.enter_async_context(client)
                except ConfigError as exc:
                    raise ToolError(f"{PAIRING_HELP} (Detail: {exc})") from exc
                except HiloopError as exc:
                    raise ToolError(explain(exc)) from exc
        return self._client

    async def _try_open(self) -> None:
        try:
            await self.client()
        except ToolError:
            log.warning("hiloop-mcp: no usable agent identity yet; tools will explain how to pair")

    async def aclose(self) -> None:
        await self._stack.aclose()


def lifespan_for(options: ServerOptions) -> Callable[[Any], Any]:
    @asynccontextmanager
    async def lifespan(_server: Any) -> AsyncIterator[HiloopState]:
        state = HiloopState(options)
        try:
            await state._try_open()
            yield state
        finally:
            await state.aclose()

    return lifespan
