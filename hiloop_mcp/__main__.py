"""`hiloop-mcp` (and `hiloop mcp`): run the Hiloop MCP server on stdio (default), SSE or streamable HTTP."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence

LOOPBACK_NAMES = {"localhost"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hiloop-mcp",
        description=(
            "The Hiloop MCP server: tools to reach the person an agent works for (sessions, messages, "
            "questions with answers, guest links), using the agent identity stored by `hiloop agent add`."
        ),
    )
    p.add_argument(
        "--transport",
        choices=("stdio", "sse", "streamable-http"),
        default="stdio",
        help="stdio (default; the client starts this program), sse (/sse), or streamable-http (/mcp)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on for sse and streamable-http (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port for sse and streamable-http (default 8000)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback: the tools act as this agent for anyone who can connect",
    )
    p.add_argument("--progress-interval", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
        help="log level on stderr (default WARNING); logs never hold message content",
    )
    return p


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.transport != "stdio" and not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"hiloop-mcp: --host {args.host} is reachable from other machines, and anyone who connects can act "
            "as this agent. Add --allow-remote if that is what you want (put it behind authentication).",
            file=sys.stderr,
        )
        return 2

    from ._server import create_server
    from ._state import ServerOptions

    server = create_server(ServerOptions(progress_interval=args.progress_interval), log_level=args.log_level)
    try:
        if args.transport == "stdio":
            server.run()
        elif args.transport == "sse":
            server.run("sse", host=args.host, port=args.port)
        else:
            server.run("streamable-http", host=args.host, port=args.port)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
