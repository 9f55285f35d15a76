"""The owner's event stream: SSE (resumable with Last-Event-ID) or a JSON long-poll, both fed by one
subscribe function (`next_events`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hiloop import wire
from relay.auth import authenticate
from relay.broker import Subscription, owner_topic
from relay.errors import invalid
from relay.http import json_response, parse_query
from relay.longpoll import wait_on
from relay.render import event_out
from relay.routing import Api
from relay.state import RelayState, get_state

SSE_BATCH = 200
SSE_RETRY_MS = 3000


class EventsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    after: int = Field(default=0, ge=0, le=2**62)
    wait: float = Field(default=0, ge=0, le=60)
    limit: int = Field(default=100, ge=1, le=500)


async def next_events(relay: RelayState, owner_id: str, sub: Subscription, after: int, limit: int,
                      wait: float) -> list[dict[str, Any]]:
    """Stored events after `after`, then any ephemeral ones (typing) published to `sub`; waits up to
    `wait` seconds when there are none. `sub` must be subscribed to the owner's topic before the call."""

    async def read(_cutoff: int) -> list[dict[str, Any]] | None:
        ephemeral = sub.take_payloads()
        rows = await relay.store.read(lambda tx: tx.events_after(owner_id, after, limit))
        events = [event_out(r) for r in rows] + ephemeral
        return events or None

    return await wait_on(sub, wait, read) or []


def cursor_after(events: list[dict[str, Any]], cursor: int) -> int:
    ids: list[int] = [int(e["id"]) for e in events if e["id"] is not None]
    return max([cursor, *ids])


async def events(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    query = parse_query(request, EventsQuery)
    if "text/event-stream" in request.headers.get("accept", ""):
        cursor = query.after
        last_id = request.headers.get("last-event-id")
        if last_id is not None and last_id.strip():
            text = last_id.strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 18):  # an event id fits SQLite's INTEGER
                raise invalid(("header", "Last-Event-ID"), "must be an event id")
            cursor = int(text)
        return StreamingResponse(sse(relay, principal.owner_id, cursor), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})
    async with relay.broker.subscribe(owner_topic(principal.owner_id)) as sub:
        batch = await next_events(relay, principal.owner_id, sub, query.after, query.limit,
                                  min(query.wait, relay.config.max_wait))
    return json_response({"events": batch, "cursor": cursor_after(batch, query.after)})


def sse_message(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def sse(relay: RelayState, owner_id: str, cursor: int) -> AsyncIterator[str]:
    """`open` first, then every event as it comes (`event:` is its kind, `id:` its id when stored),
    and a keep-alive comment after each quiet `keepalive` seconds."""
    async with relay.broker.subscribe(owner_topic(owner_id)) as sub:
        yield f"retry: {SSE_RETRY_MS}\n" + sse_message("open", {"cursor": cursor})
        while True:
            batch = await next_events(relay, owner_id, sub, cursor, SSE_BATCH, relay.config.keepalive)
            if not batch:
                yield ": keep-alive\n\n"
                continue
            for event in batch:
                yield sse_message(event["kind"], event, event["id"])
            cursor = cursor_after(batch, cursor)


API = (
    Api("GET", "/v1/events", events,
        "The owner's events: SSE with Accept: text/event-stream (resumable with Last-Event-ID), "
        "else a JSON long-poll with after and wait",
        auth=("owner",), query=EventsQuery, response=wire.EventBatch, stream=True),
)
