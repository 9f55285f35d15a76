"""The `hiloop` command.

    hiloop relay [--host --port --db --open]        run a relay (prints the set-up link on first run)
    hiloop owner init SETUP_LINK                    create the owner on a fresh relay; shows the recovery key once
    hiloop owner login RELAY_URL RECOVERY_KEY       sign this terminal in as the owner
    hiloop agent add NAME [--relay URL]             pair a new agent; waits for the owner's approval
    hiloop agents [--json]                          agents stored here and agents paired with the owner (with activity)
    hiloop readers grant|withdraw AGENT READER      let READER read AGENT's sessions, or stop it
    hiloop pair approve LINK | hiloop pair refuse LINK
    hiloop inbox [--json]                           open requests across all agents
    hiloop show SESSION [--json]                    a session's decrypted timeline
    hiloop respond SESSION MESSAGE --action A | --answer ID=VALUE … [--text T]
    hiloop guest-link SESSION [--label L] [--expires-in S]
    hiloop mcp [ARGS…]                              the MCP server (hiloop-mcp)

A failure prints one line on stderr, `hiloop: error: …`, and exits 1 (2 for a usage mistake).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hiloop.cli import _agent, _mcp, _owner, _relay, _requests
from hiloop.cli._common import CliError, run_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from hiloop import __version__

    parser = argparse.ArgumentParser(
        prog="hiloop",
        description="Hiloop: end-to-end encrypted human-in-the-loop for AI agents.",
    )
    parser.add_argument("--version", action="version", version=f"hiloop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _relay.register(sub)
    _owner.register(sub)
    _agent.register(sub)
    _requests.register(sub)
    _mcp.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 runtime error, 2 usage error)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if args_list[:1] == ["mcp"]:  # everything after `mcp` belongs to the MCP server's own parser
            return run_command(lambda: _mcp.run(args_list[1:]))
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # argparse: --help, --version (0) or a usage error (2)
            return int(exc.code) if isinstance(exc.code, int) else 2
        return run_command(lambda: args.func(args))
    except CliError as exc:
        if exc.usage:
            parser.print_usage(sys.stderr)
        print(f"hiloop: error: {exc}", file=sys.stderr)
        return exc.status
