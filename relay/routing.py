"""The route table: each API endpoint with what the OpenAPI document says about it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from relay.auth import touch_after_success
from relay.state import get_state

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Api:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: tuple[str, ...] = ()  # "owner", "agent", "guest"; empty: anyone
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[str, ...] = ()
    stream: bool = False  # also answers `text/event-stream`

    def route(self) -> Route:
        handler = self.handler

        async def endpoint(request: Request) -> Response:
            response = await handler(request)
            if response.status_code < 400:
                await touch_after_success(request, get_state(request))
            return response

        return Route(self.path, endpoint, methods=[self.method], name=f"{self.method} {self.path}")
