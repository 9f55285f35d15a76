"""`python -m relay [--host] [--port] [--db] [--public-url] [--log-level] [--open]`."""

from __future__ import annotations

import sys

from relay.cli import build_parser, main

if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args()))
