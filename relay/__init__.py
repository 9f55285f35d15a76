"""The Hiloop relay: an HTTP API that stores and routes end-to-end encrypted sessions.

Start one from Python with `run_relay(RelayConfig(...))`, or build the ASGI app with
`create_app(config)` and serve it yourself.
"""

from relay.app import create_app
from relay.cli import run_relay
from relay.config import RelayConfig

__all__ = ["RelayConfig", "create_app", "run_relay"]
