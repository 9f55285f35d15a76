"""The one waiting loop behind every long-poll and stream: subscribe, read, wait, read again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from relay.broker import Broker, Subscription

T = TypeVar("T")


async def wait_for(broker: Broker, topics: tuple[str, ...], wait: float,
                   read: Callable[[], Awaitable[T | None]], *, return_on_wake: bool = False) -> T | None:
    """`read()` until it returns something, waking on `topics`, for at most `wait` seconds.

    With `return_on_wake`, a wake-up that `read()` answers with None ends the wait too (None): the
    caller's state changed in a way `read` does not report (a request expired, a session closed).
    """
    result = await read()
    if result is not None or wait <= 0:
        return result
    async with broker.subscribe(*topics) as sub:
        return await wait_on(sub, wait, read, return_on_wake=return_on_wake)


async def wait_on(sub: Subscription, wait: float, read: Callable[[], Awaitable[T | None]], *,
                  return_on_wake: bool = False) -> T | None:
    end = anyio.current_time() + wait
    while True:
        sub.reset()
        result = await read()
        if result is not None:
            return result
        remaining = end - anyio.current_time()
        if remaining <= 0:
            return None
        woken = await sub.wait(remaining)
        if not woken:
            return await read()
        if return_on_wake:
            return await read()
