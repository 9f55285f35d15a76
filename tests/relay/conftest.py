"""Fixtures for the relay's own tests: an owner, a paired agent and a session on the ASGI app, a
snapshot of every table (to prove a failed request wrote nothing), and a way to know a waiter is waiting."""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
import relay_util

from relay.broker import Broker, Subscription
from relay.state import RelayState


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def owner(asgi_client: httpx.AsyncClient, relay_state: RelayState) -> relay_util.Owner:
    assert relay_state.setup_token is not None
    return await relay_util.create_owner(asgi_client, relay_state.setup_token)


@pytest.fixture
async def agent(asgi_client: httpx.AsyncClient, owner: relay_util.Owner) -> relay_util.Agent:
    return await relay_util.pair_agent(asgi_client, owner, "deploy-bot")


@pytest.fixture
async def sid(asgi_client: httpx.AsyncClient, agent: relay_util.Agent) -> str:
    return await relay_util.create_session(asgi_client, agent)


@pytest.fixture
async def public_sid(asgi_client: httpx.AsyncClient, agent: relay_util.Agent) -> str:
    return await relay_util.create_session(asgi_client, agent, is_public=True, public_mode="respond")


def snapshot(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (WAL included), to compare before and after a request."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


@pytest.fixture
def db_snapshot(relay_state: RelayState):  # noqa: ANN201
    return lambda: snapshot(relay_state.config.db_path)


class SubscribeWatch:
    """Signals when a waiter subscribes to a topic (works across the live relay's thread)."""

    def __init__(self, broker: Broker) -> None:
        self.events: defaultdict[str, threading.Event] = defaultdict(threading.Event)
        original = broker.subscribe

        @asynccontextmanager
        async def subscribe(*topics: str) -> AsyncIterator[Subscription]:
            async with original(*topics) as sub:
                for topic in topics:
                    self.events[topic].set()
                yield sub

        broker.subscribe = subscribe  # type: ignore[method-assign]

    async def wait(self, topic: str, timeout: float = 5.0) -> None:
        event = self.events[topic]
        assert await anyio.to_thread.run_sync(event.wait, timeout), f"nobody subscribed to {topic}"

    def clear(self, topic: str) -> None:
        self.events[topic].clear()


@pytest.fixture
def watch(relay_state: RelayState) -> SubscribeWatch:
    return SubscribeWatch(relay_state.broker)


@pytest.fixture
def live_watch(live_relay) -> SubscribeWatch:  # noqa: ANN001
    return SubscribeWatch(live_relay.state.broker)
