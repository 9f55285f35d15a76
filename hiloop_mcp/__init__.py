"""The Hiloop MCP server, on the official `mcp` SDK. Run it with `hiloop-mcp` (or `hiloop mcp`).

    from hiloop_mcp import create_server, ServerOptions
    create_server(ServerOptions()).run()            # stdio, with the stored agent identity

Importing this package imports the `mcp` server SDK (slow): never import it from a hook or the SDK.
"""

from __future__ import annotations

from ._server import INSTRUCTIONS, create_server
from ._state import ServerOptions

__all__ = ["INSTRUCTIONS", "ServerOptions", "create_server"]
