"""Webhooks: an agent registers a URL and the events it wants; the relay delivers them signed
(see relay/webhooks.py for the queue and hiloop/webhooks.py for the signature)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from hiloop import wire
from hiloop.crypto.encoding import b64u_encode
from hiloop.webhooks import SECRET_PREFIX
from relay.auth import authenticate, new_id
from relay.db.store import Row, Tx
from relay.errors import RelayError, invalid
from relay.http import json_response, parse_body
from relay.routing import Api
from relay.state import get_state

MAX_WEBHOOKS = 20  # per agent


def webhook_out(row: Row) -> dict[str, Any]:
    return {
        "webhook_id": row["webhook_id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "created_at": row["created_at"],
        "pending": row["pending"],
        "delivered": row["delivered"],
        "failed": row["failed"],
        "last_error": row["last_error"],
    }


async def create_webhook(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    body = await parse_body(request, wire.WebhookCreate)
    try:
        url = httpx.URL(body.url)
    except httpx.InvalidURL as exc:
        raise invalid(("body", "url"), "not a valid URL") from exc
    if not url.host:
        raise invalid(("body", "url"), "needs a host")
    agent_id = principal.agent_id
    assert agent_id is not None
    webhook_id = new_id("wh_")
    secret = SECRET_PREFIX + b64u_encode(secrets.token_bytes(32))
    events = list(dict.fromkeys(body.events))

    def create(tx: Tx) -> Row:
        if len(tx.webhooks_of(agent_id)) >= MAX_WEBHOOKS:
            raise RelayError("conflict", f"an agent has at most {MAX_WEBHOOKS} webhooks")
        tx.insert_webhook(webhook_id=webhook_id, agent_id=agent_id, url=body.url, secret=secret, events=events)
        row = tx.webhook(webhook_id)
        assert row is not None
        return row

    row = await relay.store.write(create)
    return json_response({**webhook_out(row), "secret": secret}, 201)


async def list_webhooks(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    agent_id = principal.agent_id
    assert agent_id is not None
    rows = await relay.store.read(lambda tx: tx.webhooks_of(agent_id))
    return json_response({"webhooks": [webhook_out(r) for r in rows]})


async def delete_webhook(request: Request) -> Response:
    relay = get_state(request)
    principal = await authenticate(request, relay, "agent")
    webhook_id = request.path_params["wid"]

    def delete(tx: Tx) -> None:
        row = tx.webhook(webhook_id)
        if row is None or row["agent_id"] != principal.agent_id:
            raise RelayError("not_found", "no such webhook")
        tx.delete_webhook(webhook_id)

    await relay.store.write(delete)
    return Response(status_code=204)


API = (
    Api("POST", "/v1/webhooks", create_webhook,
        "Register a webhook: a URL and the events to deliver to it (the secret is shown once)",
        auth=("agent",), body=wire.WebhookCreate, response=wire.WebhookCreated, status=201, errors=("conflict",)),
    Api("GET", "/v1/webhooks", list_webhooks, "The calling agent's webhooks with their delivery counts (no secrets)",
        auth=("agent",), response=wire.WebhookList),
    Api("DELETE", "/v1/webhooks/{wid}", delete_webhook, "Delete a webhook and its pending deliveries",
        auth=("agent",), status=204, errors=("not_found",)),
)
