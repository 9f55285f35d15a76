"""The MCP server: `create_server(options)` builds it; the CLI in `__main__` runs it on a transport."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from . import _tools
from ._state import ServerOptions, lifespan_for

INSTRUCTIONS = """\
Hiloop lets you reach the person you work for while you work: ask for a decision or approval, show a
report, or collect answers to a form, end-to-end encrypted, in their Hiloop app.

Usual flow: list_sessions (continue an open one) or create_session; then ask (send a request with
buttons or a qa form and wait for the answer) or send_message (inform, or send a request and collect
the answer later with await_response). A `waiting` status means no answer yet: call await_response
again. get_session_timeline shows everything in a session, including instructions the person sent you.
close_session when the task is done. For people without an account, make the session public and
create_guest_token.
"""


def create_server(options: ServerOptions | None = None, *, log_level: str = "WARNING") -> MCPServer[Any]:
    """The Hiloop MCP server, its SDK client opened in the lifespan."""
    opts = options or ServerOptions()
    server: MCPServer[Any] = MCPServer(
        "hiloop",
        title="Hiloop",
        instructions=INSTRUCTIONS,
        version=_version(),
        lifespan=lifespan_for(opts),
        log_level=log_level,  # type: ignore[arg-type]
    )
    _tools.register(server)
    return server


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hiloop")
    except PackageNotFoundError:
        return "0"
