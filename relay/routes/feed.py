"""The owner's feed: open requests across all its agents, most pressing first."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.auth import authenticate
from relay.db.store import Row, Tx
from relay.http import parse_query
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

    def read(tx: Tx) -> tuple[list[tuple[Row, Row]], dict[str, list[Row]], dict[str, list[Row]]]:
        pairs = tx.feed(principal.owner_id, query.limit)
        members, wraps = tx.keys_of([s["sid"] for s, _ in pairs]) if query.keys else ({}, {})
        return pairs, members, wraps

    pairs, members, wraps = await relay.store.read(read)
    body = ",".join(_item_json(s, m, members.get(s["sid"], []), wraps.get(s["sid"], [])) for s, m in pairs)
    return Response(f'{{"items":[{body}]}}'.encode(), media_type="application/json")


def _item_json(session: Row, message: Row, members: list[Row], wraps: list[Row]) -> str:
    """One `FeedItem` as JSON text. A page of 1,000 with keys carries some 6,000 stored envelopes,
    certificates and wraps: they go in as the JSON text the relay stored (it wrote them, compact, from
    validated models) instead of being parsed and serialised again, which took most of the time."""
    info = session_info(session)
    for key in ("title", "members", "wraps"):
        del info[key]
    info["removed"] = [m["member_id"] for m in members if m["removed_epoch"] is not None]
    out = message_out(message)
    del out["envelope"]
    certs = ",".join(m["cert"] for m in members)
    sealed = ",".join(w["wrap"] for w in wraps)
    return (f'{{"session":{_dumps(info)[:-1]},"title":{session["title"] or "null"},"members":[{certs}],'
            f'"wraps":[{sealed}]}},"message":{_dumps(out)[:-1]},"envelope":{message["envelope"]}}}}}')


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


API = (
    Api("GET", "/v1/feed", feed, "Open requests: urgent to low, then earliest deadline (none last), then oldest; "
        "with keys=true each session carries its members and wraps",
        auth=("owner",), query=FeedQuery, response=wire.Feed),
)
