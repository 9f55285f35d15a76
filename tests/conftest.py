"""Fixtures for every test: a clean environment, and relays to talk to.

- autouse `hiloop_env`: `HILOOP_HOME` points at an empty temp dir; every other `HILOOP_*` variable is removed.
- `relay_config`: a `RelayConfig` with a temp database.
- `relay_state` / `asgi_client`: the app with its lifespan running, and an `httpx.AsyncClient` over
  `httpx.ASGITransport` (plain endpoints only: ASGITransport buffers whole responses, so SSE and
  long-polls that must return early need `live_relay`).
- `live_relay`: a real uvicorn server in a thread on a free port with real SQLite: `.url`, `.config`,
  `.db_path`, `.setup_token` (create the owner with it), `.new_setup_token()` (for a second owner).

HTTP-level helpers (create an owner, pair an agent, open a session) live in tests/relay/relay_util.py,
importable from any test as `import relay_util`.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# pytest's default import mode put this directory on sys.path to import this file; its sub-folders
# named like our packages (tests/hiloop, tests/relay) would then shadow the real packages as namespace
# packages. Take it off again before importing anything of ours.
_TESTS_DIR = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _TESTS_DIR]

import httpx  # noqa: E402
import pytest  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

from relay.app import create_app  # noqa: E402
from relay.auth import SETUP_PREFIX, hash_token, new_token  # noqa: E402
from relay.cli import RelayServer, uvicorn_config  # noqa: E402
from relay.config import RelayConfig  # noqa: E402
from relay.state import RelayState  # noqa: E402
from relay.times import iso_now  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parent / "relay"))  # `import relay_util` from any test
sys.path.append(str(Path(__file__).resolve().parent / "support"))  # `import owner_pairing` from any test

STARTUP_TIMEOUT = 10.0


@pytest.fixture(autouse=True)
def hiloop_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HILOOP_HOME and no other HILOOP_* variable: nothing leaks in from the developer's machine."""
    for name in list(os.environ):
        if name.startswith("HILOOP_"):
            monkeypatch.delenv(name)
    home = tmp_path / "hiloop-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HILOOP_HOME", str(home))
    return home


@pytest.fixture
def relay_config(tmp_path: Path) -> RelayConfig:
    return RelayConfig(db_path=tmp_path / "asgi-relay" / "relay.db", announce_setup=False)


class _WithState:
    """Hands the lifespan's state to each request, as a server running the lifespan would."""

    def __init__(self, app: Starlette, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(self.state)}
        await self.app(scope, receive, send)


@pytest.fixture
async def relay_app(relay_config: RelayConfig) -> AsyncIterator[_WithState]:
    """The relay app with its lifespan running (ASGITransport does not run lifespans)."""
    app = create_app(relay_config)
    async with app.router.lifespan_context(app) as state:
        yield _WithState(app, dict(state or {}))


@pytest.fixture
def relay_state(relay_app: _WithState) -> RelayState:
    state = relay_app.state["relay"]
    assert isinstance(state, RelayState)
    return state


@pytest.fixture
async def asgi_client(relay_app: _WithState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=relay_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
        yield client


@dataclass
class LiveRelay:
    url: str
    config: RelayConfig
    db_path: Path
    setup_token: str | None
    app: Starlette

    @property
    def state(self) -> RelayState:
        state = self.app.state.relay
        assert isinstance(state, RelayState)
        return state

    def new_setup_token(self) -> str:
        """Another valid set-up token (a relay prints one only while it has no owner)."""
        token = new_token(SETUP_PREFIX)
        with sqlite3.connect(self.db_path, timeout=10) as conn:
            conn.execute("INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)",
                         (hash_token(token), iso_now()))
        conn.close()
        return token


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live_relay(tmp_path: Path) -> Iterator[LiveRelay]:
    """A real relay: uvicorn in a thread on a free port, real SQLite in a temp dir; stopped at teardown."""
    sock = _free_socket()
    try:
        port = sock.getsockname()[1]
        config = RelayConfig(host="127.0.0.1", port=port, db_path=tmp_path / "live-relay" / "relay.db",
                             announce_setup=False)
        uconfig = uvicorn_config(config, timeout_graceful_shutdown=1)
        started = threading.Event()
        server = RelayServer(uconfig, on_started=started.set)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"live-relay-{port}",
                                  daemon=True)
    except BaseException:
        sock.close()
        raise
    thread.start()
    try:
        if not started.wait(STARTUP_TIMEOUT):
            raise RuntimeError("the live relay did not start")
        app = uconfig.app
        assert isinstance(app, Starlette)
        yield LiveRelay(url=f"http://127.0.0.1:{port}", config=config, db_path=config.db_path,
                        setup_token=app.state.relay.setup_token, app=app)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the live relay did not stop")
