"""The owner's feed: open requests across all its agents, most pressing first."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.auth import authenticate
from relay.db.store import Tx
from relay.http import json_response, parse_query
from relay.render import message_out, session_info
from relay.routing import Api
from relay.state import get_state


class FeedQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=200, ge=1, le=1000)
    keys: bool = False  # include each session's members and wraps (one query each for all of them)


async def feed(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    query = parse_query(request, FeedQuery)

    def read(tx: Tx) -> list[dict[str, Any]]:
        pairs = tx.feed(principal.owner_id, query.limit)
        members, wraps = tx.keys_of([s["sid"] for s, _ in pairs]) if query.keys else ({}, {})
        return [{"session": session_info(s, members.get(s["sid"]), wraps.get(s["sid"])), "message": message_out(m)}
                for s, m in pairs]

    return json_response({"items": await relay.store.read(read)})


API = (
    Api("GET", "/v1/feed", feed, "Open requests: urgent to low, then earliest deadline (none last), then oldest; "
        "with keys=true each session carries its members and wraps",
        auth=("owner",), query=FeedQuery, response=wire.Feed),
)
