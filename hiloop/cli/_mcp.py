"""`hiloop mcp`: the MCP server (the same as `hiloop-mcp`)."""

from __future__ import annotations

import argparse
from typing import Any

from hiloop.cli._common import CliError


def register(sub: Any) -> None:
    p = sub.add_parser("mcp", help="run the MCP server (hiloop-mcp; `hiloop mcp --help` for its options)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda args: run(args.rest))


def run(argv: list[str]) -> int:
    try:
        from hiloop_mcp.__main__ import main as mcp_main
    except ImportError as exc:
        raise CliError(f"the MCP server is not available in this installation ({exc})") from None
    try:
        return int(mcp_main(argv) or 0)
    except SystemExit as exc:  # its argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
