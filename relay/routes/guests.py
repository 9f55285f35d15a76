"""Guest links: create (member certificate + wrap + token), list, revoke; a guest's view of itself."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.access import session_access
from relay.auth import GUEST_PREFIX, authenticate, hash_token, new_token
from relay.broker import owner_topic, session_topic
from relay.db.store import Row, Tx
from relay.checks import MANAGER_ROLES, check_new_members
from relay.errors import RelayError, invalid
from relay.http import json_response, parse_body
from relay.render import guest_out
from relay.routing import Api
from relay.state import get_state
from relay.times import iso_in
from relay.webhooks import enqueue


async def create_guest(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid = request.path_params["sid"]
    body = await parse_body(request, wire.GuestCreate)
    member, wrap = body.member, body.wrap
    if member.role != "guest":
        raise invalid(("body", "member", "role"), "must be 'guest'")
    if member.by not in MANAGER_ROLES:
        raise invalid(("body", "member", "by"), "certificates are signed by the agent or the owner")
    if wrap.sid != sid:
        raise invalid(("body", "wrap", "sid"), "does not match the session")
    if wrap.rid != member.id:
        raise invalid(("body", "wrap", "rid"), "must be the guest's member id")
    if wrap.by not in MANAGER_ROLES:
        raise invalid(("body", "wrap", "by"), "wraps are made by the agent or the owner")
    token = new_token(GUEST_PREFIX)
    expires_at = iso_in(body.expires_in)

    def create(tx: Tx) -> None:
        access = session_access(tx, principal, sid)
        access.require_manager()
        access.require_open()
        session = access.session
        if not session["is_public"]:
            raise RelayError("session_not_public")
        taken = [m["member_id"] for m in tx.members(sid)]
        check_new_members([member], sid=sid, taken=taken, loc=("body", "member"))
        if wrap.epoch != session["epoch"]:
            raise RelayError("stale_epoch", f"the session is at epoch {session['epoch']}")
        tx.insert_member(sid, member.model_dump(), session["epoch"])
        tx.insert_wrap(sid, wrap.model_dump())
        tx.insert_guest(sid=sid, guest_id=member.id, token_hash=hash_token(token), label=body.label,
                              expires_at=expires_at)
        tx.insert_event(session["owner_id"], "session", sid,
                              {"action": "guest_added", "guest_id": member.id, "expires_at": expires_at})
        enqueue(tx, session["agent_id"], "guest_added", sid=sid,
                data={"guest_id": member.id, "expires_at": expires_at})
        tx.notify(session_topic(sid))
        tx.notify(owner_topic(session["owner_id"]))

    await relay.store.write(create)
    return json_response({"sid": sid, "guest_id": member.id, "label": body.label, "token": token,
                          "expires_at": expires_at}, 201)


async def list_guests(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid = request.path_params["sid"]

    def read(tx: Tx) -> list[Row]:
        session_access(tx, principal, sid).require_manager()
        return tx.guests(sid)

    rows = await relay.store.read(read)
    return json_response({"guests": [guest_out(r) for r in rows]})


async def revoke_guest(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner", "agent")
    sid, guest_id = request.path_params["sid"], request.path_params["gid"]

    def revoke(tx: Tx) -> Row | None:
        access = session_access(tx, principal, sid)
        access.require_manager()
        session = access.session
        guest = tx.guest(sid, guest_id)
        if guest is None:
            raise RelayError("not_found", "no such guest")
        if not guest["revoked"]:
            tx.revoke_guests(sid, [guest_id])
            tx.remove_members(sid, [guest_id], session["epoch"])
            tx.insert_event(session["owner_id"], "session", sid,
                                  {"action": "guest_revoked", "guest_id": guest_id})
            enqueue(tx, session["agent_id"], "guest_revoked", sid=sid, data={"guest_id": guest_id})
            tx.notify(session_topic(sid))
            tx.notify(owner_topic(session["owner_id"]))
        guest = tx.guest(sid, guest_id)
        return guest

    guest = await relay.store.write(revoke)
    assert guest is not None
    return json_response(guest_out(guest))


async def guest_me(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "guest")
    guest_sid, guest_id = principal.sid, principal.guest_id
    assert guest_sid is not None and guest_id is not None
    guest = await relay.store.read(lambda tx: tx.guest(guest_sid, guest_id))
    assert guest is not None
    return json_response({k: guest[k] for k in ("sid", "guest_id", "label", "expires_at")})


API = (
    Api("POST", "/v1/sessions/{sid}/guests", create_guest, "Create a guest link for a public session",
        auth=("owner", "agent"), body=wire.GuestCreate, response=wire.GuestCreated, status=201,
        errors=("not_found", "session_not_public", "session_closed", "stale_epoch", "conflict")),
    Api("GET", "/v1/sessions/{sid}/guests", list_guests, "A session's guests (no tokens)",
        auth=("owner", "agent"), response=wire.GuestList, errors=("not_found",)),
    Api("DELETE", "/v1/sessions/{sid}/guests/{gid}", revoke_guest,
        "Revoke a guest: its token stops working and it is removed (then rotate)",
        auth=("owner", "agent"), response=wire.GuestOut, errors=("not_found",)),
    Api("GET", "/v1/guest/me", guest_me, "The calling guest", auth=("guest",), response=wire.GuestInfo),
)
