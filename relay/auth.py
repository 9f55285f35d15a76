"""Bearer tokens → principals. Every token is stored as its SHA-256 hex; the plaintext is shown once.

| prefix | who |
|---|---|
| `hlo_` | an owner device |
| `hlp_` | an agent (its API key) |
| `hlg_` | a guest of one session |
| `hlc_` | a pairing's claim secret (passed as `?claim=`, not as a bearer) |
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from starlette.requests import Request

from hiloop.crypto.encoding import b64u_encode
from relay.broker import owner_topic
from relay.db.store import Row, Tx
from relay.errors import RelayError
from relay.state import RelayState
from relay.times import iso, now
from relay.webhooks import enqueue

Kind = Literal["owner", "agent", "guest"]
OWNER_PREFIX, AGENT_PREFIX, GUEST_PREFIX, CLAIM_PREFIX, SETUP_PREFIX = "hlo_", "hlp_", "hlg_", "hlc_", "hls_"
TOUCH_EVERY = timedelta(seconds=60)  # how stale `last_seen` may get before a request refreshes it


def new_token(prefix: str) -> str:
    return prefix + b64u_encode(secrets.token_bytes(32))


def new_id(prefix: str, nbytes: int = 9) -> str:
    return prefix + b64u_encode(secrets.token_bytes(nbytes))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Principal:
    kind: Kind
    owner_id: str
    agent_id: str | None = None
    guest_id: str | None = None
    sid: str | None = None  # the one session a guest may see


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(request: Request, relay: RelayState, *allowed: Kind) -> Principal:
    """The caller's principal; 401 for no or unknown credential, 403 when its kind is not `allowed`."""
    principal = await optional_principal(request, relay)
    if principal is None:
        raise RelayError("unauthorized")
    if allowed and principal.kind not in allowed:
        raise RelayError("forbidden", f"not available to {principal.kind} credentials")
    return principal


async def optional_principal(request: Request, relay: RelayState) -> Principal | None:
    token = bearer(request)
    if token is None:
        return None
    token_hash = hash_token(token)
    if token.startswith(OWNER_PREFIX):
        device = await relay.store.read(lambda tx: tx.device(token_hash))
        if device is None:
            raise RelayError("unauthorized")
        if _stale(device["last_seen"]):
            request.state.touch = ("device", token_hash)
        return Principal("owner", device["owner_id"])
    if token.startswith(AGENT_PREFIX):
        agent = await relay.store.read(lambda tx: tx.agent_by_key(token_hash))
        if agent is None:
            raise RelayError("unauthorized")
        if _stale(agent["last_seen"]):
            request.state.touch = ("agent", agent["agent_id"])
        return Principal("agent", agent["owner_id"], agent_id=agent["agent_id"])
    if token.startswith(GUEST_PREFIX):
        def find(tx: Tx) -> tuple[Row | None, Row | None]:
            guest = tx.guest_by_token(token_hash)
            return guest, None if guest is None else tx.session(guest["sid"])

        guest, session = await relay.store.read(find)
        if guest is None or session is None:
            raise RelayError("unauthorized")
        if guest["revoked"]:
            raise RelayError("token_revoked")
        if guest["expires_at"] <= iso(now()):
            raise RelayError("token_expired")
        if guest["joined_at"] is None:  # the link's first use: recorded once the request succeeds
            request.state.touch = ("guest", (guest["sid"], guest["guest_id"]))
        return Principal("guest", session["owner_id"], guest_id=guest["guest_id"], sid=guest["sid"])
    raise RelayError("unauthorized")


async def touch_after_success(request: Request, relay: RelayState) -> None:
    """Refresh the caller's `last_seen` once its request succeeded (a failed request writes nothing)."""
    touch = getattr(request.state, "touch", None)
    if touch is None:
        return
    kind, key = touch
    if kind == "guest":
        await relay.store.write(lambda tx: guest_joined(tx, *key))
        return
    await relay.store.write(lambda tx: tx.touch_agent(key) if kind == "agent" else tx.touch_device(key))


def guest_joined(tx: Tx, sid: str, guest_id: str) -> None:
    """A guest used its link for the first time: tell the owner (event) and the agent (webhook)."""
    if not tx.mark_guest_joined(sid, guest_id):
        return
    session = tx.session(sid)
    assert session is not None
    tx.insert_event(session["owner_id"], "session", sid, {"action": "guest_joined", "guest_id": guest_id})
    tx.notify(owner_topic(session["owner_id"]))
    enqueue(tx, session["agent_id"], "guest_joined", sid=sid, data={"guest_id": guest_id})


def _stale(last_seen: str | None) -> bool:
    return last_seen is None or last_seen < iso(now() - TOUCH_EVERY)
