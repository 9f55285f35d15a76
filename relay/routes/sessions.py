"""Sessions: create (with members and epoch-0 wraps), list, get, close, rotate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.access import session_access
from relay.auth import authenticate
from relay.broker import owner_topic, session_topic
from relay.checks import MANAGER_ROLES, check_envelope, check_new_members, check_wraps
from relay.db.store import Row, Tx
from relay.errors import RelayError, invalid
from relay.http import json_response, parse_body, parse_query
from relay.render import message_event, session_info
from relay.routes.readers import check_reader_members
from relay.routing import Api
from relay.state import get_state
from relay.times import iso
from relay.webhooks import enqueue


class SessionListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: wire.SessionStatus | None = None
    kind: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    agent: wire.Ident | None = None
    limit: int = Field(default=50, ge=1, le=500)
    before: wire.UtcDatetime | None = None  # created_at of the last session of the previous page
    readable: bool = False  # agents: the sessions of other agents it may read, instead of its own
    keys: bool = False  # include each session's members and wraps (one query each for all of them)


def full_info(tx: Tx, sid: str) -> dict[str, Any]:
    session = tx.session(sid)
    assert session is not None
    return session_info(session, tx.members(sid), tx.wraps(sid))


async def create_session(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    body = await parse_body(request, wire.SessionCreate)
    sid = body.sid
    check_new_members(body.members, sid=sid, taken=(), loc=("body", "members"))
    by_id = {m.id: (i, m) for i, m in enumerate(body.members)}
    for member_id in MANAGER_ROLES:
        if member_id not in by_id or by_id[member_id][1].role != member_id:
            raise invalid(("body", "members"), f"needs the member {member_id!r} with role {member_id!r}")
    for i, m in enumerate(body.members):
        if m.id not in MANAGER_ROLES and m.role != "reader":
            raise invalid(("body", "members", i, "role"),
                          "besides 'agent' and 'owner', only readers join at creation (guests use guest links)")
        if m.by not in MANAGER_ROLES:
            raise invalid(("body", "members", i, "by"), "certificates are signed by the agent or the owner")
    check_wraps(body.wraps, sid=sid, epoch=0, recipients=set(by_id), wrappers=set(MANAGER_ROLES),
                loc=("body", "wraps"))
    if body.title is not None:
        check_envelope(body.title, sid=sid, epoch=0, sender="agent", loc=("body", "title"))

    agent_id = principal.agent_id
    assert agent_id is not None

    def create(tx: Tx) -> dict[str, Any]:
        agent = tx.agent(agent_id)
        assert agent is not None
        for member_id, x_key, ed_key in (("agent", agent["x25519"], agent["ed25519"]),
                                          ("owner", agent["owner_x25519"], agent["owner_ed25519"])):
            i, cert = by_id[member_id]
            if (cert.x25519, cert.ed25519) != (x_key, ed_key):
                raise invalid(("body", "members", i), f"the {member_id} certificate's keys are not the {member_id}'s")
        if tx.session(sid) is not None:
            raise RelayError("conflict", "sid exists")
        check_reader_members(tx, agent["agent_id"], body.members, ("body", "members"))
        tx.insert_session(
            sid=sid, agent_id=agent["agent_id"], owner_id=agent["owner_id"], kind=body.kind,
            priority=body.priority, deadline=None if body.deadline is None else iso(body.deadline),
            is_public=body.is_public, public_mode=body.public_mode,
            title=None if body.title is None else body.title.wire(),
        )
        for m in body.members:
            tx.insert_member(sid, m.model_dump(), 0)
        for w in body.wraps:
            tx.insert_wrap(sid, w.model_dump())
        info = full_info(tx, sid)
        tx.insert_event(agent["owner_id"], "session", sid, _session_event("created", info))
        tx.notify(owner_topic(agent["owner_id"]))
        return info

    info = await relay.store.write(create)
    return json_response(info, 201)


def _session_event(action: str, info: dict[str, Any]) -> dict[str, Any]:
    keep = ("agent_id", "kind", "priority", "deadline", "status", "is_public", "public_mode", "epoch", "last_seq")
    return {"action": action, **{k: info[k] for k in keep}}


async def list_sessions(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    query = parse_query(request, SessionListQuery)
    filters: dict[str, Any] = {"status": query.status, "kind": query.kind, "limit": query.limit,
                               "before": None if query.before is None else iso(query.before)}
    if principal.kind == "owner":
        filters.update(owner_id=principal.owner_id, agent_id=query.agent)
    else:
        if query.readable:
            filters.update(owner_id=principal.owner_id, agent_id=query.agent,
                           reader_id=f"r_{principal.agent_id}")
        elif query.agent is not None and query.agent != principal.agent_id:
            raise RelayError("forbidden", "an agent lists only its own sessions (or readable=true)")
        else:
            filters.update(agent_id=principal.agent_id)

    def read(tx: Tx) -> list[dict[str, Any]]:
        rows = tx.list_sessions(**filters)
        members, wraps = tx.keys_of([r["sid"] for r in rows]) if query.keys else ({}, {})
        return [session_info(r, members.get(r["sid"]), wraps.get(r["sid"])) for r in rows]

    return json_response({"sessions": await relay.store.read(read)})


async def get_session(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay)
    sid = request.path_params["sid"]

    def read(tx: Tx) -> dict[str, Any]:
        session_access(tx, principal, sid)
        return full_info(tx, sid)

    return json_response(await relay.store.read(read))


async def close_session(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid = request.path_params["sid"]

    def close(tx: Tx) -> dict[str, Any]:
        access = session_access(tx, principal, sid)
        access.require_manager()
        owner_id = access.session["owner_id"]
        if access.session["status"] != "closed":
            tx.set_session_status(sid, "closed")
            closed: list[Row] = tx.close_requests(sid)
            for row in closed:
                tx.insert_event(owner_id, "status", sid, {**message_event(row), "status": "closed"})
            info = full_info(tx, sid)
            tx.insert_event(owner_id, "session", sid, _session_event("closed", info))
            enqueue(tx, access.session["agent_id"], "session_closed", sid=sid, data={"by": access.member_id})
            tx.notify(session_topic(sid))
            tx.notify(owner_topic(owner_id))
        else:
            info = full_info(tx, sid)
        return info

    info = await relay.store.write(close)
    return json_response(info)


async def rotate_session(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid = request.path_params["sid"]
    body = await parse_body(request, wire.Rotation)

    def rotate(tx: Tx) -> dict[str, Any]:
        access = session_access(tx, principal, sid)
        access.require_manager()
        access.require_open()
        session = access.session
        if body.epoch != session["epoch"] + 1:
            raise RelayError("epoch_conflict", f"the session is at epoch {session['epoch']}; rotate to "
                                               f"{session['epoch'] + 1}")
        members = tx.members(sid)
        all_ids = {m["member_id"] for m in members}
        current = {m["member_id"] for m in members if m["removed_epoch"] is None}
        for i, member_id in enumerate(body.remove):
            if member_id not in all_ids:
                raise invalid(("body", "remove", i), "not a member of this session")
            if member_id in MANAGER_ROLES:
                raise invalid(("body", "remove", i), "the agent and the owner cannot be removed")
        check_new_members(body.members, sid=sid, taken=all_ids, loc=("body", "members"))
        for i, m in enumerate(body.members):
            if m.role != "reader":
                raise invalid(("body", "members", i, "role"), "a rotation adds only readers")
            if m.by not in MANAGER_ROLES:
                raise invalid(("body", "members", i, "by"), "certificates are signed by the agent or the owner")
        check_reader_members(tx, session["agent_id"], body.members, ("body", "members"))
        remaining = (current - set(body.remove)) | {m.id for m in body.members}
        check_wraps(body.wraps, sid=sid, epoch=body.epoch, recipients=remaining, wrappers=set(MANAGER_ROLES),
                    loc=("body", "wraps"))
        if body.title is not None:
            check_envelope(body.title, sid=sid, epoch=body.epoch, sender=access.member_id, loc=("body", "title"))
        if not tx.advance_epoch(sid, session["epoch"], None if body.title is None else body.title.wire()):
            raise RelayError("epoch_conflict")
        removed = [m for m in body.remove if m in current]
        tx.remove_members(sid, removed, body.epoch)
        tx.revoke_guests(sid, removed)
        for m in body.members:
            tx.insert_member(sid, m.model_dump(), body.epoch)
        for w in body.wraps:
            tx.insert_wrap(sid, w.model_dump())
        info = full_info(tx, sid)
        tx.insert_event(session["owner_id"], "session", sid, {**_session_event("rotated", info),
                                                                   "removed": sorted(body.remove)})
        tx.notify(session_topic(sid))
        tx.notify(owner_topic(session["owner_id"]))
        return info

    info = await relay.store.write(rotate)
    return json_response(info)


API = (
    Api("POST", "/v1/sessions", create_session, "Create a session with its members and epoch-0 wraps",
        auth=("agent",), body=wire.SessionCreate, response=wire.SessionInfo, status=201, errors=("conflict",)),
    Api("GET", "/v1/sessions", list_sessions, "List sessions (newest first); with keys=true each carries its "
        "members and wraps", auth=("owner", "agent"),
        query=SessionListQuery, response=wire.SessionList),
    Api("GET", "/v1/sessions/{sid}", get_session, "A session with its members and wraps",
        auth=("owner", "agent", "guest"), response=wire.SessionInfo, errors=("not_found",)),
    Api("POST", "/v1/sessions/{sid}/close", close_session, "Close a session; its open requests become closed",
        auth=("owner", "agent"), response=wire.SessionInfo, errors=("not_found",)),
    Api("POST", "/v1/sessions/{sid}/rotate", rotate_session, "Move to the next epoch (compare-and-set)",
        auth=("owner", "agent"), body=wire.Rotation, response=wire.SessionInfo,
        errors=("not_found", "epoch_conflict", "stale_epoch", "session_closed", "conflict")),
)
