"""Running the relay: `run_relay(config)`, and the `hiloop relay` sub-command's flags.

`hiloop/cli` wires it in with `add_relay_arguments(subparser)` and calls `main(args)`;
`python -m relay` does the same on its own.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from relay.app import create_app, setup_link
from relay.config import RelayConfig
from relay.state import RelayState

GRACEFUL_SHUTDOWN_SECONDS = 3.0  # long-polls and SSE streams are cut after this on shutdown


class RelayServer(uvicorn.Server):
    """uvicorn's server, with a hook that runs once the socket listens."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def uvicorn_config(config: RelayConfig, **overrides: object) -> uvicorn.Config:
    """uvicorn settings for the relay: our own access log (path templates, never tokens), not uvicorn's."""
    settings: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "access_log": False,
        "log_config": None,
        "log_level": config.log_level.lower(),
        "lifespan": "on",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "server_header": False,
    }
    settings.update(overrides)
    uconfig = uvicorn.Config(create_app(config), **settings)
    # uvicorn's access log prints raw paths and query strings, which can hold tokens: silence it for good.
    logging.getLogger("uvicorn.access").disabled = True
    return uconfig


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_relay(config: RelayConfig, *, open_browser: bool = False) -> None:
    """Serve the relay until interrupted (blocks). Prints the set-up link when there is no owner yet."""
    configure_logging(config.log_level)
    uconfig = uvicorn_config(config)

    def started() -> None:
        if open_browser:
            app = uconfig.app
            relay: RelayState | None = getattr(getattr(app, "state", None), "relay", None)
            token = relay.setup_token if relay is not None else None
            url = setup_link(config, token) if token else config.base_url + "/"
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    RelayServer(uconfig, on_started=started).run()


def add_relay_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `hiloop relay`."""
    parser.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default 8787)")
    parser.add_argument("--db", type=Path, default=None, dest="db",
                        help="SQLite database file (default $HILOOP_HOME/relay.db or ~/.local/share/hiloop/relay.db)")
    parser.add_argument("--public-url", default=None, dest="public_url",
                        help="the URL people reach this relay at, for links (default http://HOST:PORT)")
    parser.add_argument("--log-level", default=None, dest="log_level",
                        choices=["critical", "error", "warning", "info", "debug"], help="default info")
    parser.add_argument("--open", action="store_true", dest="open_browser",
                        help="open the set-up page (or the app) in a browser once the relay listens")


def config_from_args(args: argparse.Namespace) -> RelayConfig:
    return RelayConfig.from_env(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        db_path=getattr(args, "db", None),
        public_url=getattr(args, "public_url", None),
        log_level=getattr(args, "log_level", None),
    )


def main(args: argparse.Namespace) -> int:
    """Run `hiloop relay` with parsed arguments; returns the exit status."""
    try:
        run_relay(config_from_args(args), open_browser=bool(getattr(args, "open_browser", False)))
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: that is a clean exit
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hiloop relay", description="Run the Hiloop relay.")
    add_relay_arguments(parser)
    return parser
