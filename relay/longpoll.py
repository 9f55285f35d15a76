"""The one waiting loop behind every long-poll and stream: subscribe, read, wait, read again; and the
coalescer that lets the many waiters one publish wakes share a single read."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

import anyio

from relay.broker import Broker, Subscription, tick

T = TypeVar("T")
Read = Callable[[int], Awaitable[T | None]]  # read(cutoff): reads started after tick `cutoff` are fresh enough


async def wait_for(broker: Broker, topics: tuple[str, ...], wait: float, read: Read[T], *,
                   return_on_wake: bool = False) -> T | None:
    """`read()` until it returns something, waking on `topics`, for at most `wait` seconds.

    With `return_on_wake`, a wake-up that `read()` answers with None ends the wait too (None): the
    caller's state changed in a way `read` does not report (a request expired, a session closed).
    """
    result = await read(tick())
    if result is not None or wait <= 0:
        return result
    async with broker.subscribe(*topics) as sub:
        return await wait_on(sub, wait, read, return_on_wake=return_on_wake)


async def wait_on(sub: Subscription, wait: float, read: Read[T], *, return_on_wake: bool = False) -> T | None:
    end = anyio.current_time() + wait
    while True:
        sub.reset()
        result = await read(tick())
        if result is not None:
            return result
        remaining = end - anyio.current_time()
        if remaining <= 0:
            return None
        woken = await sub.wait(remaining)
        if not woken:
            return await read(tick())
        if return_on_wake:
            return await read(sub.woken_tick)


class Coalescer:
    """Identical reads share one: `run(key, cutoff, fn)` joins a read of `key` already in flight when
    it started after `cutoff` (so it sees everything committed before the caller was woken), else
    starts one. A hundred waiters on one session, woken by one message, make one database read and
    render one response body."""

    def __init__(self) -> None:
        self._inflight: dict[Hashable, tuple[int, asyncio.Task[Any]]] = {}

    async def run(self, key: Hashable, cutoff: int, fn: Callable[[], Awaitable[T]]) -> T:
        entry = self._inflight.get(key)
        if entry is None or entry[0] <= cutoff:
            entry = (tick(), asyncio.ensure_future(fn()))
            self._inflight[key] = entry
            entry[1].add_done_callback(functools.partial(self._done, key, entry))
        # shielded: one waiter going away must not cancel the read the others wait for
        return cast(T, await asyncio.shield(entry[1]))

    def _done(self, key: Hashable, entry: tuple[int, asyncio.Task[Any]], _task: object) -> None:
        if self._inflight.get(key) is entry:
            del self._inflight[key]
        if not entry[1].cancelled():
            entry[1].exception()  # retrieved here, so a failure nobody awaited is not reported as lost

    def __len__(self) -> int:
        return len(self._inflight)
