"""Webhooks from the SDK's side: signature checks, decrypted deliveries, deadline expiry told by webhook."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.streams.text
import pytest
from webhook_receiver import running_receiver

from hiloop import AsyncHiloopClient, AsyncOwnerClient, InvalidWebhook, verify_webhook
from hiloop.webhooks import sign_webhook, signature_headers

SECRET = "whsec_test-secret"
BODY = json.dumps({"id": "d_1", "event": "response", "created_at": "2026-11-28T22:00:00Z", "agent_id": "a_1",
                   "sid": "s_1", "message": None, "data": {}}).encode()
DECISION = [{"type": "button_group", "buttons": [
    {"label": "Approve", "action": "approve", "variant": "primary"},
    {"label": "Deny", "action": "deny", "variant": "danger"}]}]


def test_a_good_signature_verifies_and_returns_the_delivery():
    headers = signature_headers(SECRET, BODY, delivery_id="d_1", event="response")
    delivery = verify_webhook(headers, BODY, SECRET)
    assert (delivery.id, delivery.event, delivery.sid) == ("d_1", "response", "s_1")
    lower = {k.lower(): v for k, v in headers.items()}
    assert verify_webhook(lower, BODY, SECRET).id == "d_1"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook(SECRET, 1700000000, BODY) == expected
    headers = signature_headers(SECRET, BODY, delivery_id="d_1", event="response", timestamp=1700000000)
    assert headers["Hiloop-Signature"] == f"v1={expected}" and headers["Hiloop-Timestamp"] == "1700000000"


def test_a_tampered_body_is_rejected():
    headers = signature_headers(SECRET, BODY, delivery_id="d_1", event="response")
    with pytest.raises(InvalidWebhook, match="signature"):
        verify_webhook(headers, BODY.replace(b"s_1", b"s_2"), SECRET)


def test_a_wrong_secret_is_rejected():
    headers = signature_headers(SECRET, BODY, delivery_id="d_1", event="response")
    with pytest.raises(InvalidWebhook, match="signature"):
        verify_webhook(headers, BODY, "whsec_other")


def test_an_old_or_future_timestamp_is_rejected_even_with_a_good_signature():
    old = signature_headers(SECRET, BODY, delivery_id="d_1", event="response", timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidWebhook, match="replay window"):
        verify_webhook(old, BODY, SECRET)
    future = signature_headers(SECRET, BODY, delivery_id="d_1", event="response", timestamp=int(time.time()) + 301)
    with pytest.raises(InvalidWebhook, match="replay window"):
        verify_webhook(future, BODY, SECRET)
    assert verify_webhook(old, BODY, SECRET, tolerance=600).id == "d_1"


def test_missing_or_malformed_headers_are_rejected():
    headers = signature_headers(SECRET, BODY, delivery_id="d_1", event="response")
    for broken in ({k: v for k, v in headers.items() if k != "Hiloop-Signature"},
                   {**headers, "Hiloop-Timestamp": "yesterday"},
                   {**headers, "Hiloop-Signature": "v0=" + headers["Hiloop-Signature"][3:]},
                   {**headers, "Hiloop-Delivery": "d_other"}):
        with pytest.raises(InvalidWebhook):
            verify_webhook(broken, BODY, SECRET)
    with pytest.raises(InvalidWebhook, match="body"):
        bad = b"[1, 2]"
        verify_webhook(signature_headers(SECRET, bad, delivery_id="d_1", event="x"), bad, SECRET)


@pytest.mark.anyio
async def test_a_delivered_response_decrypts_to_the_owners_verified_answer(
        agent: AsyncHiloopClient, owner: AsyncOwnerClient):
    async with running_receiver() as rx:
        hook = await agent.create_webhook(rx.url, ["response"])
        assert hook.secret is not None and hook.secret.startswith("whsec_")
        session = await agent.create_session("Deploy")
        sent = await agent.send_message(session.id, DECISION)
        await owner.respond(session.id, sent.id, action="approve")
        await rx.wait(lambda: len(rx.accepted) == 1)
    event = await agent.read_webhook(rx.hits[0].headers, rx.hits[0].body, hook.secret)
    assert (event.event, event.session_id, event.request_id) == ("response", session.id, sent.id)
    assert event.response is not None and event.response.action == "approve"
    assert event.response.responder_role == "owner"
    assert event.message is not None and event.message.content["action"] == "approve"
    assert [w.id for w in await agent.list_webhooks()] == [hook.id]
    await agent.delete_webhook(hook.id)
    assert await agent.list_webhooks() == []


@pytest.mark.anyio
async def test_a_passed_deadline_reaches_the_waiting_agent_and_the_webhook(agent: AsyncHiloopClient):
    async with running_receiver() as rx:
        hook = await agent.create_webhook(rx.url, ["expired"])
        assert hook.secret is not None
        session = await agent.create_session("Deploy")
        sent = await agent.send_message(session.id, DECISION, deadline=timedelta(seconds=1), default_action="deny")
        with anyio.fail_after(10):
            answer = await agent.await_response(session.id, sent.id, timeout=10)
            await rx.wait(lambda: len(rx.accepted) == 1)
    assert answer.expired and answer.action == "deny"
    event = await agent.read_webhook(rx.hits[0].headers, rx.hits[0].body, hook.secret)
    assert (event.event, event.request_id, event.default_action) == ("expired", sent.id, "deny")
    assert event.message is not None and event.message.status == "expired"
    assert (await agent.get_session_timeline(session.id)).messages[0].status == "expired"


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"
RESPOND = re.compile(r"hiloop respond (\S+) (\S+)")


@pytest.mark.anyio
async def test_the_example_receiver_acts_on_the_owners_answer_delivered_by_webhook(
        agent: AsyncHiloopClient, owner: AsyncOwnerClient, live_relay: Any, hiloop_env: Path):
    env = {**os.environ, "HILOOP_HOME": str(hiloop_env), "HILOOP_URL": live_relay.url,
           "HILOOP_EXAMPLE_TIMEOUT": "20", "PYTHONUNBUFFERED": "1"}
    lines: list[str] = []
    with anyio.fail_after(40):
        async with await anyio.open_process([sys.executable, str(EXAMPLE)], env=env) as proc:
            assert proc.stdout is not None
            buffered = anyio.streams.text.TextReceiveStream(proc.stdout)
            pending = ""
            async for chunk in buffered:
                pending += chunk
                while "\n" in pending:
                    line, pending = pending.split("\n", 1)
                    lines.append(line)
                    m = RESPOND.search(line)
                    if m:
                        await owner.respond(m.group(1), m.group(2), action="approve", text="now is fine")
            await proc.wait()
    assert proc.returncode == 0, lines
    assert lines[-1] == "The owner answered approve over a webhook: now is fine. Rotating the keys."
    assert await agent.list_webhooks() == []
