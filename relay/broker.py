"""Wake-ups for waiters (long-polls, SSE streams, the deadline task).

A topic is a string: `session:<sid>`, `owner:<owner id>`, `pairing:<pid>`. Publishing wakes every
subscription of the topic; an optional payload carries an ephemeral event (typing) that is not stored.
Waiters follow one pattern that loses no wake-up: subscribe, read the store, and only if nothing is
there, wait; after a wake-up, read again.

`InProcessBroker` serves one process. A PostgreSQL LISTEN/NOTIFY broker can implement the same
`Broker` protocol so several relay processes wake each other's waiters.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import anyio


_TICKS = itertools.count(1)


def tick() -> int:
    """A process-wide, strictly increasing counter that orders wake-ups and reads (see longpoll.Coalescer)."""
    return next(_TICKS)


def session_topic(sid: str) -> str:
    return f"session:{sid}"


def owner_topic(owner_id: str) -> str:
    return f"owner:{owner_id}"


def pairing_topic(pairing_id: str) -> str:
    return f"pairing:{pairing_id}"


class Subscription:
    """One waiter's view of one or more topics."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._payloads: list[dict[str, Any]] = []
        self.woken_tick = 0  # when the last wake-up came (a read started after it sees what woke us)

    def notify(self, payload: dict[str, Any] | None) -> None:
        if payload is not None:
            self._payloads.append(payload)
        self.woken_tick = tick()
        self._event.set()

    def reset(self) -> None:
        """Call before re-reading the store, so a publish after the read is not missed."""
        self._event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when `timeout` seconds passed first."""
        if self._event.is_set():
            return True
        with anyio.move_on_after(max(timeout, 0.0)):
            await self._event.wait()
            return True
        return False

    def take_payloads(self) -> list[dict[str, Any]]:
        payloads, self._payloads = self._payloads, []
        return payloads


class Broker(Protocol):
    def subscribe(self, *topics: str) -> AbstractAsyncContextManager[Subscription]: ...

    async def publish(self, topic: str, payload: dict[str, Any] | None = None) -> None: ...

    async def close(self) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._subs: defaultdict[str, set[Subscription]] = defaultdict(set)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        sub = Subscription()
        for topic in topics:
            self._subs[topic].add(sub)
        try:
            yield sub
        finally:
            for topic in topics:
                subs = self._subs.get(topic)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._subs[topic]

    async def publish(self, topic: str, payload: dict[str, Any] | None = None) -> None:
        for sub in tuple(self._subs.get(topic, ())):
            sub.notify(payload)

    def waiting(self, topic: str) -> int:
        """How many subscriptions listen on `topic` (tests use it to know a waiter is in place)."""
        return len(self._subs.get(topic, ()))

    async def close(self) -> None:
        self._subs.clear()
