"""Run an async client from synchronous code: one event loop in a background thread per client."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

T = TypeVar("T")


class Portal:
    """A blocking portal owned by one synchronous client; `close()` stops its thread."""

    def __init__(self) -> None:
        self._cm: AbstractContextManager[BlockingPortal] | None = start_blocking_portal()
        self._portal = self._cm.__enter__()

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if self._cm is None:
            raise RuntimeError("this client is closed")
        return self._portal.call(functools.partial(fn, *args, **kwargs))

    def close(self, last: Callable[[], Awaitable[Any]] | None = None) -> None:
        if self._cm is None:
            return
        try:
            if last is not None:
                self._portal.call(last)
        finally:
            cm, self._cm = self._cm, None
            cm.__exit__(None, None, None)
