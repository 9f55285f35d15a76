"""Messages: send (idempotent by mid), the timeline (with long-poll), one message, typing."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.access import session_access
from relay.auth import authenticate
from relay.broker import owner_topic, session_topic
from relay.checks import check_envelope
from relay.db.store import Row, Tx
from relay.errors import RelayError, invalid
from relay.http import json_bytes, json_response, parse_body, parse_query
from relay.longpoll import wait_for
from relay.render import message_event, message_out, message_stored
from relay.routing import Api
from relay.state import get_state
from relay.times import iso, iso_now
from relay.webhooks import enqueue


class TimelineQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    after: int = Field(default=0, ge=0, le=2**62)
    wait: float = Field(default=0, ge=0, le=60)
    limit: int = Field(default=100, ge=1, le=500)


def body_hash(body: wire.MessageSend) -> str:
    canonical = json.dumps(body.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def send_message(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay)
    sid = request.path_params["sid"]
    body = await parse_body(request, wire.MessageSend)
    env, meta = body.envelope, body.meta
    digest = body_hash(body)

    def send(tx: Tx) -> tuple[Row, bool]:
        """The stored row, and whether it was stored now (False: the same message was stored before)."""
        access = session_access(tx, principal, sid)
        access.require_writer(meta.type, asks=meta.requires_response or meta.deadline is not None)
        session = access.session
        if env.sid != sid:
            raise invalid(("body", "envelope", "sid"), "does not match the session in the path")
        if env.from_ != access.member_id:
            raise invalid(("body", "envelope", "from"), f"must be the caller's member id ({access.member_id})")
        existing = tx.message(sid, env.mid)
        if existing is not None:
            if existing["body_hash"] != digest:
                raise RelayError("mid_conflict")
            return existing, False
        access.require_open()
        check_envelope(env, sid=sid, epoch=session["epoch"], sender=access.member_id, loc=("body", "envelope"))
        if meta.type == "response":
            if meta.reply_to is None:
                raise invalid(("body", "meta", "reply_to"), "a response names the request it answers")
            if tx.message(sid, meta.reply_to) is None:
                raise invalid(("body", "meta", "reply_to"), "no such message in this session")
        created_at = iso_now()
        meta_row = {"type": meta.type, "priority": meta.priority, "requires_response": meta.requires_response,
                    "deadline": None if meta.deadline is None else iso(meta.deadline), "reply_to": meta.reply_to}
        seq = session["last_seq"] + 1
        tx.insert_message(sid=sid, seq=seq, mid=env.mid, sender=access.member_id, meta=meta_row,
                          rank=wire.PRIORITY_RANK[meta.priority], status="open" if meta.requires_response else "none",
                          envelope=env.wire(), body_hash=digest, created_at=created_at)
        stored = tx.message(sid, env.mid)
        assert stored is not None
        owner_id = session["owner_id"]
        tx.insert_event(owner_id, "message", sid, message_event(stored))
        # A response marks its request answered; a guest's does not (it cannot approve anything).
        if meta.type == "response" and meta.reply_to is not None and access.manages:
            if tx.answer(sid, meta.reply_to, created_at):
                answered = tx.message(sid, meta.reply_to)
                assert answered is not None
                tx.insert_event(owner_id, "status", sid, message_event(answered))
        if access.member_id != "agent":  # tell the session's agent (webhooks) of what others sent
            enqueue(tx, session["agent_id"], "response" if meta.type == "response" else "message", sid=sid,
                    message=stored)
        tx.notify(session_topic(sid))
        tx.notify(owner_topic(owner_id))
        return stored, True

    stored, new = await relay.store.write(send)
    if not new:
        return json_response(message_stored(stored), 200)
    if meta.requires_response and meta.deadline is not None:
        relay.deadlines.poke()
    return json_response(message_stored(stored), 201)


async def timeline(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay)
    sid = request.path_params["sid"]
    query = parse_query(request, TimelineQuery)
    # keep only a bool across the wait, not the session row: 10,000 parked waiters each hold their frame
    is_open = await relay.store.read(lambda tx: session_access(tx, principal, sid).session["status"] == "open")
    wait = min(query.wait, relay.config.max_wait) if is_open else 0.0

    def rows_and_session(tx: Tx) -> tuple[list[Row], Row]:
        rows = tx.messages_after(sid, query.after, query.limit)
        session = tx.session(sid)
        assert session is not None
        return rows, session

    async def snapshot() -> tuple[bool, bytes]:
        """The whole response body, from one read: shared by every waiter asking the same thing."""
        rows, session = await relay.store.read(rows_and_session)
        return bool(rows), json_bytes({
            "sid": sid,
            "messages": [message_out(r) for r in rows],
            "cursor": rows[-1]["seq"] if rows else query.after,
            "session_status": session["status"],
            "epoch": session["epoch"],
        })

    latest = [b""]

    async def read(cutoff: int) -> bytes | None:
        found, latest[0] = await relay.coalescer.run(("timeline", sid, query.after, query.limit), cutoff, snapshot)
        return latest[0] if found else None

    body = await wait_for(relay.broker, (session_topic(sid),), wait, read, return_on_wake=True) or latest[0]
    return Response(body, media_type="application/json")


async def get_message(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay)
    sid, mid = request.path_params["sid"], request.path_params["mid"]

    def read(tx: Tx) -> Row | None:
        session_access(tx, principal, sid)
        return tx.message(sid, mid)

    row = await relay.store.read(read)
    if row is None:
        raise RelayError("not_found", "no such message")
    return json_response(message_out(row))


async def typing(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay)
    sid = request.path_params["sid"]
    access = await relay.store.read(lambda tx: session_access(tx, principal, sid))
    access.require_writer(None)
    access.require_open()
    event = {"id": None, "kind": "typing", "sid": sid, "data": {"from": access.member_id}, "created_at": iso_now()}
    await relay.broker.publish(owner_topic(access.session["owner_id"]), event)
    return Response(status_code=204)


API = (
    Api("POST", "/v1/sessions/{sid}/messages", send_message,
        "Send a message (201; 200 when the same mid and body were stored before)",
        auth=("owner", "agent", "guest"), body=wire.MessageSend, response=wire.MessageStored, status=201,
        errors=("not_found", "mid_conflict", "stale_epoch", "session_closed")),
    Api("GET", "/v1/sessions/{sid}/messages", timeline,
        "The timeline after a seq; with wait, a long-poll that returns as soon as something arrives",
        auth=("owner", "agent", "guest"), query=TimelineQuery, response=wire.Timeline, errors=("not_found",)),
    Api("GET", "/v1/sessions/{sid}/messages/{mid}", get_message, "One message, with its current status",
        auth=("owner", "agent", "guest"), response=wire.MessageOut, errors=("not_found",)),
    Api("POST", "/v1/sessions/{sid}/typing", typing, "Say the caller is typing (an ephemeral event)",
        auth=("owner", "agent", "guest"), status=204, errors=("not_found", "session_closed")),
)
