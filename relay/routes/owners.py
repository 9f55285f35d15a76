"""Health, set-up, owners and device sign-in."""

from __future__ import annotations

import functools
import secrets
from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from hiloop.crypto import CryptoError, b64u_decode, b64u_encode, verify_login
from relay.auth import OWNER_PREFIX, authenticate, hash_token, new_token
from relay.db.store import Row, Tx
from relay.errors import RelayError
from relay.http import json_response, parse_body
from relay.keys import check_key
from relay.routing import Api
from relay.state import get_state
from relay.times import iso_in

CHALLENGE_TTL = 300  # seconds a sign-in challenge stays valid


@functools.cache
def relay_version() -> str:
    try:
        return version("hiloop")
    except PackageNotFoundError:
        return "0"


class Health(BaseModel):
    ok: bool
    version: str


class SetupStatus(BaseModel):
    valid: bool


async def health(request: Request) -> Response:
    return json_response({"ok": True, "version": relay_version()})


async def setup_status(request: Request) -> Response:
    relay = get_state(request)
    token_hash = hash_token(request.path_params["token"])
    valid = await relay.store.read(lambda tx: tx.setup_token_exists(token_hash))
    return json_response({"valid": valid})


async def create_owner(request: Request) -> Response:
    relay = get_state(request)
    body = await parse_body(request, wire.OwnerCreate)
    check_key(body.x25519, ("body", "x25519"))
    check_key(body.ed25519, ("body", "ed25519"))
    token = new_token(OWNER_PREFIX)

    def create(tx: Tx) -> None:
        if not tx.consume_setup_token(hash_token(body.setup_token)):
            raise RelayError("setup_invalid")
        if tx.owner(body.owner_id) is not None:
            raise RelayError("conflict", "owner_id exists")
        tx.insert_owner(body.owner_id, body.x25519, body.ed25519)
        tx.insert_device(hash_token(token), body.owner_id, body.device_name)

    await relay.store.write(create)
    if relay.setup_token == body.setup_token:
        relay.setup_token = None
    return json_response({"owner_id": body.owner_id, "device_token": token}, 201)


async def challenge(request: Request) -> Response:
    relay = get_state(request)
    owner_id = request.path_params["owner_id"]
    value = b64u_encode(secrets.token_bytes(32))
    expires_at = iso_in(CHALLENGE_TTL)

    def store(tx: Tx) -> None:
        if tx.owner(owner_id) is None:
            raise RelayError("not_found", "no such owner")
        tx.insert_challenge(value, owner_id, expires_at)

    await relay.store.write(store)
    return json_response({"challenge": value, "expires_at": expires_at})


async def sign_in_device(request: Request) -> Response:
    relay = get_state(request)
    owner_id = request.path_params["owner_id"]
    body = await parse_body(request, wire.DeviceLogin)

    def find(tx: Tx) -> tuple[Row | None, bool]:
        owner = tx.owner(owner_id)
        return owner, owner is not None and tx.challenge(body.challenge, owner_id) is not None

    owner, known = await relay.store.read(find)
    if owner is None:
        raise RelayError("not_found", "no such owner")
    if not known:
        raise RelayError("unauthorized", "unknown or expired challenge")
    try:
        verify_login(b64u_decode(owner["ed25519"]), owner_id, body.challenge, body.sig)
    except CryptoError as exc:
        raise RelayError("unauthorized", "bad signature") from exc
    token = new_token(OWNER_PREFIX)

    def sign_in(tx: Tx) -> None:
        if tx.challenge(body.challenge, owner_id) is None:
            raise RelayError("unauthorized", "unknown or expired challenge")
        tx.delete_challenge(body.challenge)
        tx.insert_device(hash_token(token), owner_id, body.device_name)

    await relay.store.write(sign_in)
    return json_response({"owner_id": owner_id, "device_token": token}, 201)


async def owner_me(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "owner")
    owner = await relay.store.read(lambda tx: tx.owner(principal.owner_id))
    if owner is None:
        raise RelayError("unauthorized")
    return json_response({k: owner[k] for k in ("owner_id", "x25519", "ed25519", "created_at")})


API = (
    Api("GET", "/v1/health", health, "Liveness and version", response=Health),
    Api("GET", "/v1/setup/{token}", setup_status, "Whether a set-up token is still valid", response=SetupStatus),
    Api("POST", "/v1/owners", create_owner, "Create the owner with a set-up token", body=wire.OwnerCreate,
        response=wire.OwnerCreated, status=201, errors=("setup_invalid", "conflict")),
    Api("POST", "/v1/owners/{owner_id}/challenge", challenge, "A challenge for signing in a device",
        response=wire.Challenge, errors=("not_found",)),
    Api("POST", "/v1/owners/{owner_id}/devices", sign_in_device, "Sign in a device by signature",
        body=wire.DeviceLogin, response=wire.DeviceToken, status=201, errors=("unauthorized", "not_found")),
    Api("GET", "/v1/owners/me", owner_me, "The signed-in owner", auth=("owner",), response=wire.OwnerInfo),
)
