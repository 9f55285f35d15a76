"""Pairing: an agent asks, the owner approves or refuses, the agent claims its API key once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from relay.auth import AGENT_PREFIX, CLAIM_PREFIX, authenticate, hash_token, new_id, new_token, same_hash
from relay.broker import owner_topic, pairing_topic
from relay.db.store import Row, Tx
from relay.errors import RelayError, invalid
from relay.http import json_response, parse_body, parse_query
from relay.keys import check_key
from relay.longpoll import wait_for
from relay.render import pairing_info
from relay.routing import Api
from relay.state import RelayState, get_state
from relay.times import iso_in, iso_now

PAIRING_TTL = 1800  # seconds a pairing waits for the owner


class PairingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    claim: str | None = Field(default=None, min_length=1, max_length=200)
    wait: float = Field(default=0, ge=0, le=60)


def status_of(row: Row) -> str:
    if row["status"] == "pending" and row["expires_at"] <= iso_now():
        return "expired"
    return str(row["status"])


async def create_pairing(request: Request) -> Response:
    relay = get_state(request)
    body = await parse_body(request, wire.PairingCreate)
    check_key(body.x25519, ("body", "x25519"))
    check_key(body.ed25519, ("body", "ed25519"))
    pairing_id, agent_id, claim = new_id("p_"), new_id("a_"), new_token(CLAIM_PREFIX)
    expires_at = iso_in(PAIRING_TTL)

    def create(tx: Tx) -> None:
        tx.insert_pairing(pairing_id=pairing_id, agent_id=agent_id, name=body.name, x25519=body.x25519,
                          ed25519=body.ed25519, claim_hash=hash_token(claim), expires_at=expires_at)
        data = {"pairing_id": pairing_id, "agent_id": agent_id, "name": body.name, "status": "pending"}
        for owner in tx.owners():
            tx.insert_event(owner["owner_id"], "pairing", None, data)
            tx.notify(owner_topic(owner["owner_id"]))

    await relay.store.write(create)
    return json_response({"pairing_id": pairing_id, "agent_id": agent_id, "claim": claim,
                          "expires_at": expires_at}, 201)


async def _pairing(relay: RelayState, pairing_id: str) -> Row:
    row = await relay.store.read(lambda tx: tx.pairing(pairing_id))
    if row is None:
        raise RelayError("not_found", "no such pairing")
    return row


async def get_pairing(request: Request) -> Response:
    relay = get_state(request)
    pairing_id = request.path_params["pid"]
    query = parse_query(request, PairingQuery)
    if query.claim is None:
        principal = await authenticate(request, relay, "owner")
        row = await _pairing(relay, pairing_id)
        if row["owner_id"] is not None and row["owner_id"] != principal.owner_id:
            raise RelayError("forbidden", "another owner's pairing")
        return json_response(pairing_info(row, status_of(row)))

    row = await _pairing(relay, pairing_id)
    if not same_hash(hash_token(query.claim), row["claim_hash"]):
        raise RelayError("unauthorized", "wrong claim secret")

    async def settled(_cutoff: int) -> Row | None:
        current = await _pairing(relay, pairing_id)
        return None if status_of(current) == "pending" else current

    wait = min(query.wait, relay.config.max_wait)
    row = await wait_for(relay.broker, (pairing_topic(pairing_id),), wait, settled) or await _pairing(relay, pairing_id)
    api_key = None
    if status_of(row) == "approved" and not row["claimed"]:
        key, agent_id = new_token(AGENT_PREFIX), row["agent_id"]

        def claim(tx: Tx) -> str | None:
            if not tx.claim_pairing(pairing_id):
                return None  # claimed before: the key is shown once
            tx.set_agent_key(agent_id, hash_token(key))
            return key

        api_key = await relay.store.write(claim)
    return json_response(pairing_info(row, status_of(row), api_key))


async def _decide(request: Request, approve: wire.PairingApprove | None) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    pairing_id = request.path_params["pid"]

    def decide(tx: Tx) -> tuple[Row, str]:
        row = tx.pairing(pairing_id)
        owner = tx.owner(principal.owner_id)
        if row is None:
            raise RelayError("not_found", "no such pairing")
        assert owner is not None
        if status_of(row) != "pending":
            raise RelayError("pairing_not_pending", f"the pairing is {status_of(row)}")
        if approve is None:
            tx.refuse_pairing(pairing_id, principal.owner_id)
            status = "refused"
        else:
            _check_approval(approve, row, owner)
            cert = approve.agent_cert.model_dump()
            tx.approve_pairing(pairing_id, owner_id=principal.owner_id, owner_x25519=approve.owner_x25519,
                               owner_ed25519=approve.owner_ed25519, mac=approve.mac, agent_cert=cert)
            tx.insert_agent(agent_id=row["agent_id"], owner_id=principal.owner_id, name=row["name"],
                            x25519=row["x25519"], ed25519=row["ed25519"], agent_cert=cert)
            status = "approved"
        data = {"pairing_id": pairing_id, "agent_id": row["agent_id"], "name": row["name"], "status": status}
        tx.insert_event(principal.owner_id, "pairing", None, data)
        tx.notify(owner_topic(principal.owner_id))
        tx.notify(pairing_topic(pairing_id))
        updated = tx.pairing(pairing_id)
        assert updated is not None
        return updated, status

    updated, status = await relay.store.write(decide)
    return json_response(pairing_info(updated, status))


def _check_approval(body: wire.PairingApprove, pairing: Row, owner: Row) -> None:
    if body.owner_x25519 != owner["x25519"]:
        raise invalid(("body", "owner_x25519"), "is not the signed-in owner's key")
    if body.owner_ed25519 != owner["ed25519"]:
        raise invalid(("body", "owner_ed25519"), "is not the signed-in owner's key")
    cert = body.agent_cert
    expected = {"owner": owner["owner_id"], "agent": pairing["agent_id"], "name": pairing["name"],
                "x25519": pairing["x25519"], "ed25519": pairing["ed25519"]}
    for field, value in expected.items():
        if getattr(cert, field) != value:
            raise invalid(("body", "agent_cert", field), "does not match the pairing")


async def approve_pairing(request: Request) -> Response:
    body = await parse_body(request, wire.PairingApprove)
    return await _decide(request, body)


async def refuse_pairing(request: Request) -> Response:
    return await _decide(request, None)


API = (
    Api("POST", "/v1/pairings", create_pairing, "Ask to pair an agent", body=wire.PairingCreate,
        response=wire.PairingCreated, status=201),
    Api("GET", "/v1/pairings/{pid}", get_pairing,
        "A pairing, for its owner or (with ?claim=, long-polling with ?wait=) for the agent claiming it",
        auth=("owner",), query=PairingQuery, response=wire.PairingInfo, errors=("not_found",)),
    Api("POST", "/v1/pairings/{pid}/approve", approve_pairing, "Approve a pairing", auth=("owner",),
        body=wire.PairingApprove, response=wire.PairingInfo, errors=("not_found", "pairing_not_pending")),
    Api("POST", "/v1/pairings/{pid}/refuse", refuse_pairing, "Refuse a pairing", auth=("owner",),
        response=wire.PairingInfo, errors=("not_found", "pairing_not_pending")),
)
