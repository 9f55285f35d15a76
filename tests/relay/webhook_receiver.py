"""A webhook receiver for tests: uvicorn on 127.0.0.1 in the test's own event loop.

    async with running_receiver() as rx:          # rx.url to register
        rx.fail_next = 2                          # answer 500 twice, then 200
        await rx.wait(lambda: len(rx.accepted) == 1)

It records every request (headers, body) and which delivery ids it accepted (2xx); `wait` waits on
a change, bounded, never sleeps.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import uvicorn
from starlette.types import Receive, Scope, Send


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes

    @property
    def delivery(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


@dataclass
class Receiver:
    sock: socket.socket
    fail_next: int = 0  # answer this many requests with 500 first
    fail_always: bool = False
    hits: list[Hit] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)  # delivery id -> times answered 2xx
    _changed: anyio.Event = field(default_factory=anyio.Event)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}/hook"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.hits.append(Hit(headers, body))
        if self.fail_always or self.fail_next > 0:
            self.fail_next = max(0, self.fail_next - 1)
            status = 500
        else:
            status = 200
            self.accepted[headers.get("hiloop-delivery", "")] += 1
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"no"})
        self.changed()

    def changed(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        with anyio.fail_after(timeout):
            while not predicate():
                await self._changed.wait()


def bound_socket() -> socket.socket:
    """A socket bound to a free loopback port, not yet listening (connections to it are refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def running_receiver(sock: socket.socket | None = None, receiver: Receiver | None = None
                           ) -> AsyncIterator[Receiver]:
    sock = sock or bound_socket()
    rx = receiver or Receiver(sock)
    sock.listen(128)  # connections queue until uvicorn accepts them
    server = uvicorn.Server(uvicorn.Config(rx, log_level="warning", lifespan="off", access_log=False))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        try:
            yield rx
        finally:
            server.should_exit = True
    sock.close()
