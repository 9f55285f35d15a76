"""The owner's feed: open requests across all its agents, most pressing first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.auth import authenticate
from relay.http import json_response, parse_query
from relay.render import message_out, session_info
from relay.routing import Api
from relay.state import get_state


class FeedQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=200, ge=1, le=500)


async def feed(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    query = parse_query(request, FeedQuery)
    pairs = await relay.store.read(lambda tx: tx.feed(principal.owner_id, query.limit))
    return json_response({"items": [{"session": session_info(s), "message": message_out(m)} for s, m in pairs]})


API = (
    Api("GET", "/v1/feed", feed, "Open requests: urgent to low, then earliest deadline (none last), then oldest",
        auth=("owner",), query=FeedQuery, response=wire.Feed),
)
