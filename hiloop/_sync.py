"""Run an async client from synchronous code: one event loop in a background thread per client.

The thread is a daemon, so a script that never calls `close()` (or leaves no `with` block) still exits
when it is done, as `HiloopClient()` in a three-line script should.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

T = TypeVar("T")


class Portal:
    """A blocking portal owned by one synchronous client; `close()` stops its thread."""

    def __init__(self) -> None:
        ready = threading.Event()
        holder: list[BlockingPortal] = []

        async def serve() -> None:
            async with BlockingPortal() as portal:
                holder.append(portal)
                ready.set()
                await portal.sleep_until_stopped()

        self._thread: threading.Thread | None = threading.Thread(
            target=anyio.run, args=(serve,), name="hiloop-client", daemon=True
        )
        self._thread.start()
        ready.wait()
        self._portal = holder[0]

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if self._thread is None:
            raise RuntimeError("this client is closed")
        return self._portal.call(functools.partial(fn, *args, **kwargs))

    def close(self, last: Callable[[], Awaitable[Any]] | None = None) -> None:
        if self._thread is None:
            return
        try:
            if last is not None:
                self._portal.call(last)
        finally:
            thread, self._thread = self._thread, None
            self._portal.call(self._portal.stop)
            thread.join()
