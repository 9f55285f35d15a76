"""Read-only visibility between agents of one owner.

The owner lets agent A read agent B's sessions (`POST /v1/agents/{B}/readers`). B learns of it (its
`GET /v1/agents/me` lists A under `readers`, with A's owner-signed certificate; a `readers_changed`
webhook) and adds A to its sessions as the member `r_<A>` with role `reader`: a certificate B signs
and a wrap of each epoch's key (`POST /v1/sessions/{sid}/readers`), or at creation or rotation. The
relay accepts a reader member only for a granted reader, with that agent's keys. A reader reads and
never writes. Withdrawal (`DELETE`) removes A from B's sessions at once (the relay stops serving it)
and B then rotates them without A, so A holds no key of any later epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.access import session_access
from relay.auth import Principal, authenticate
from relay.broker import owner_topic, session_topic
from relay.checks import MANAGER_ROLES, Loc, check_new_members
from relay.db.store import Row, Tx
from relay.errors import RelayError, invalid
from relay.http import json_response, parse_body
from relay.render import session_info
from relay.routing import Api
from relay.state import get_state
from relay.webhooks import enqueue

READER_PREFIX = "r_"


def reader_member_id(agent_id: str) -> str:
    return READER_PREFIX + agent_id


def check_reader_members(tx: Tx, session_agent_id: str, certs: Sequence[wire.MemberCert], loc: Loc) -> None:
    """Every reader certificate names a reader the owner granted on `session_agent_id`, with its keys."""
    for i, cert in enumerate(certs):
        if cert.role != "reader":
            continue
        if not cert.id.startswith(READER_PREFIX):
            raise invalid((*loc, i, "id"), "a reader's member id is r_<agent id>")
        reader_id = cert.id[len(READER_PREFIX):]
        if not tx.is_reader(session_agent_id, reader_id):
            raise RelayError("forbidden", f"the owner has not let {reader_id} read this agent's sessions")
        reader = tx.agent(reader_id)
        assert reader is not None
        if (cert.x25519, cert.ed25519) != (reader["x25519"], reader["ed25519"]):
            raise invalid((*loc, i), "the reader certificate's keys are not that agent's")


def _owned_agent(tx: Tx, principal: Principal, agent_id: str) -> Row:
    row = tx.agent(agent_id)
    if row is None or row["owner_id"] != principal.owner_id:
        raise RelayError("not_found", "no such agent")
    return row


def reader_out(row: Row) -> dict[str, Any]:
    return {"agent_id": row["agent_id"], "reader_agent_id": row["reader_id"], "created_at": row["created_at"]}


async def grant_reader(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    agent_id = request.path_params["agent_id"]
    body = await parse_body(request, wire.ReaderGrant)

    def grant(tx: Tx) -> tuple[Row, bool]:
        _owned_agent(tx, principal, agent_id)
        if body.reader_agent_id == agent_id:
            raise invalid(("body", "reader_agent_id"), "an agent reads its own sessions already")
        reader = tx.agent(body.reader_agent_id)
        if reader is None or reader["owner_id"] != principal.owner_id:
            raise invalid(("body", "reader_agent_id"), "no such agent of this owner")
        new = tx.grant_reader(agent_id, body.reader_agent_id, principal.owner_id)
        if new:
            enqueue(tx, agent_id, "readers_changed", data={"action": "granted", "reader_agent_id": body.reader_agent_id})
        row = tx.one("SELECT * FROM readers WHERE agent_id = ? AND reader_id = ?", (agent_id, body.reader_agent_id))
        assert row is not None
        return row, new

    row, new = await relay.store.write(grant)
    return json_response(reader_out(row), 201 if new else 200)


async def withdraw_reader(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    agent_id, reader_id = request.path_params["agent_id"], request.path_params["reader_id"]

    def withdraw(tx: Tx) -> None:
        _owned_agent(tx, principal, agent_id)
        if not tx.withdraw_reader(agent_id, reader_id):
            raise RelayError("not_found", "that agent may not read these sessions")
        member_id = reader_member_id(reader_id)
        for session in tx.sessions_with_member(agent_id, member_id):
            sid = session["sid"]
            tx.remove_members(sid, [member_id], session["epoch"])
            tx.insert_event(principal.owner_id, "session", sid, {"action": "reader_removed", "member_id": member_id})
            tx.notify(session_topic(sid))
        tx.notify(owner_topic(principal.owner_id))
        enqueue(tx, agent_id, "readers_changed", data={"action": "withdrawn", "reader_agent_id": reader_id})

    await relay.store.write(withdraw)
    return Response(status_code=204)


async def add_reader(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid = request.path_params["sid"]
    body = await parse_body(request, wire.ReaderAdd)
    member = body.member
    if member.role != "reader":
        raise invalid(("body", "member", "role"), "must be 'reader'")
    if member.by not in MANAGER_ROLES:
        raise invalid(("body", "member", "by"), "certificates are signed by the agent or the owner")
    epochs: set[int] = set()
    for i, w in enumerate(body.wraps):
        loc = ("body", "wraps", i)
        if w.sid != sid:
            raise invalid((*loc, "sid"), "does not match the session")
        if w.rid != member.id:
            raise invalid((*loc, "rid"), "must be the reader's member id")
        if w.by not in MANAGER_ROLES:
            raise invalid((*loc, "by"), "wraps are made by the agent or the owner")
        if w.epoch in epochs:
            raise invalid((*loc, "epoch"), "more than one wrap for this epoch")
        epochs.add(w.epoch)

    def add(tx: Tx) -> dict[str, Any]:
        access = session_access(tx, principal, sid)
        access.require_manager()
        access.require_open()
        session = access.session
        check_new_members([member], sid=sid, taken=[m["member_id"] for m in tx.members(sid)],
                          loc=("body", "member"))
        check_reader_members(tx, session["agent_id"], [member], ("body", "member"))
        if session["epoch"] not in epochs:
            raise RelayError("stale_epoch", f"the session is at epoch {session['epoch']}; wrap its key")
        if max(epochs) > session["epoch"]:
            raise invalid(("body", "wraps"), f"no epoch after the session's ({session['epoch']})")
        tx.insert_member(sid, member.model_dump(), session["epoch"])
        for w in body.wraps:
            tx.insert_wrap(sid, w.model_dump())
        tx.insert_event(session["owner_id"], "session", sid, {"action": "reader_added", "member_id": member.id})
        tx.notify(session_topic(sid))
        tx.notify(owner_topic(session["owner_id"]))
        fresh = tx.session(sid)
        assert fresh is not None
        return session_info(fresh, tx.members(sid), tx.wraps(sid))

    return json_response(await relay.store.write(add), 201)


API = (
    Api("POST", "/v1/agents/{agent_id}/readers", grant_reader,
        "Let another agent of this owner read this agent's sessions (201; 200 when it could already)",
        auth=("owner",), body=wire.ReaderGrant, response=wire.ReaderOut, status=201, errors=("not_found",)),
    Api("DELETE", "/v1/agents/{agent_id}/readers/{reader_id}", withdraw_reader,
        "Withdraw a reader: removed from this agent's sessions at once (the agent then rotates them)",
        auth=("owner",), status=204, errors=("not_found",)),
    Api("POST", "/v1/sessions/{sid}/readers", add_reader,
        "Add a granted reader to a session: its certificate and a wrap per epoch it may read",
        auth=("owner", "agent"), body=wire.ReaderAdd, response=wire.SessionInfo, status=201,
        errors=("not_found", "stale_epoch", "session_closed", "conflict")),
)
