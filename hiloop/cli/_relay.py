"""`hiloop relay`: run a relay (the relay package's own command line)."""

from __future__ import annotations

import argparse
from typing import Any

from hiloop.cli._common import CliError


def register(sub: Any) -> None:
    p = sub.add_parser("relay", help="run a relay", description="Run a Hiloop relay (HTTP API and the web app).")
    try:
        from relay.cli import add_relay_arguments
    except ImportError:
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        p.add_argument("--db")
        p.add_argument("--open", action="store_true", dest="open_browser")
    else:
        add_relay_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from relay.cli import main as relay_main
    except ImportError as exc:
        raise CliError(f"the relay is not available in this installation ({exc})") from None
    return relay_main(args)
