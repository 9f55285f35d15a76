"""Webhooks: registration, signed deliveries, retries with backoff, the queue across restarts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import relay_util
from webhook_receiver import bound_socket, running_receiver

from hiloop.webhooks import InvalidWebhook, verify_webhook
from relay.app import create_app
from relay.config import RelayConfig
from relay.state import RelayState

pytestmark = pytest.mark.anyio


@pytest.fixture
def relay_config(tmp_path: Path) -> RelayConfig:
    return RelayConfig(db_path=tmp_path / "asgi-relay" / "relay.db", announce_setup=False,
                       webhook_backoff=0.01, webhook_backoff_cap=0.04, webhook_max_attempts=4)


class Settled:
    """Waits on the worker's record of each attempt."""

    def __init__(self, state: RelayState) -> None:
        self.outcomes: list[tuple[str, str]] = []
        self._event = anyio.Event()
        assert state.webhooks is not None
        state.webhooks.on_settled = self._on

    def _on(self, delivery_id: str, outcome: str) -> None:
        self.outcomes.append((delivery_id, outcome))
        self._event.set()
        self._event = anyio.Event()

    async def wait(self, predicate: Any, timeout: float = 10.0) -> None:
        with anyio.fail_after(timeout):
            while not predicate():
                await self._event.wait()


async def register(client: httpx.AsyncClient, agent: relay_util.Agent, url: str,
                   events: list[str]) -> dict[str, Any]:
    r = await client.post("/v1/webhooks", headers=agent.headers, json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def ask_and_answer(client: httpx.AsyncClient, agent: relay_util.Agent, sid: str) -> str:
    request = relay_util.message_body(sid, "agent", type="decision", requires_response=True)
    r = await client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=request)
    assert r.status_code == 201, r.text
    mid = request["envelope"]["mid"]
    r = await relay_util.send(client, agent.owner.headers, sid, "owner", type="response", reply_to=mid)
    assert r.status_code == 201, r.text
    return str(mid)


async def test_a_webhook_is_shown_once_with_its_secret_then_listed_without_it_and_deleted(asgi_client, agent):
    created = await register(asgi_client, agent, "http://127.0.0.1:9/hook", ["response", "expired"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["response", "expired"]
    listed = (await asgi_client.get("/v1/webhooks", headers=agent.headers)).json()["webhooks"]
    assert [w["webhook_id"] for w in listed] == [created["webhook_id"]]
    assert "secret" not in listed[0] and listed[0]["pending"] == 0
    r = await asgi_client.delete(f"/v1/webhooks/{created['webhook_id']}", headers=agent.headers)
    assert r.status_code == 204
    assert (await asgi_client.get("/v1/webhooks", headers=agent.headers)).json()["webhooks"] == []
    r = await asgi_client.delete(f"/v1/webhooks/{created['webhook_id']}", headers=agent.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_webhooks_need_an_http_url_known_events_and_an_agent(asgi_client, agent, owner):
    for body in ({"url": "ftp://example.com/x", "events": ["response"]},
                 {"url": "http://127.0.0.1/x", "events": ["nonsense"]},
                 {"url": "http://127.0.0.1/x", "events": []}):
        r = await asgi_client.post("/v1/webhooks", headers=agent.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), body
    r = await asgi_client.post("/v1/webhooks", headers=owner.headers,
                               json={"url": "http://127.0.0.1/x", "events": ["response"]})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


async def test_another_agent_cannot_delete_a_webhook(asgi_client, agent, owner):
    other = await relay_util.pair_agent(asgi_client, owner, "other")
    created = await register(asgi_client, agent, "http://127.0.0.1:9/hook", ["response"])
    r = await asgi_client.delete(f"/v1/webhooks/{created['webhook_id']}", headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_an_owners_response_is_delivered_signed_with_routing_metadata_and_envelope(
        asgi_client, agent, sid, relay_state):
    async with running_receiver() as rx:
        hook = await register(asgi_client, agent, rx.url, ["response"])
        mid = await ask_and_answer(asgi_client, agent, sid)
        await rx.wait(lambda: len(rx.accepted) == 1)
    hit = rx.hits[0]
    delivery = verify_webhook(hit.headers, hit.body, hook["secret"])
    assert delivery.event == "response" == hit.headers["hiloop-event"]
    assert delivery.id == hit.headers["hiloop-delivery"]
    assert (delivery.sid, delivery.agent_id) == (sid, agent.agent_id)
    assert delivery.message is not None and delivery.message.meta.reply_to == mid
    assert delivery.message.envelope.from_ == "owner" and delivery.message.envelope.ct
    with pytest.raises(InvalidWebhook):
        verify_webhook(hit.headers, hit.body, "whsec_wrong")


async def test_only_the_events_asked_for_are_delivered(asgi_client, agent, sid, relay_state):
    settled = Settled(relay_state)
    async with running_receiver() as rx:
        await register(asgi_client, agent, rx.url, ["session_closed"])
        await ask_and_answer(asgi_client, agent, sid)  # a response: not asked for
        await asgi_client.post(f"/v1/sessions/{sid}/close", headers=agent.owner.headers)
        await settled.wait(lambda: len(settled.outcomes) == 1)
    assert [h.headers["hiloop-event"] for h in rx.hits] == ["session_closed"]
    assert rx.hits[0].delivery["data"] == {"by": "owner"}


async def test_a_failing_receiver_gets_retries_until_it_recovers(asgi_client, agent, sid, relay_state):
    settled = Settled(relay_state)
    async with running_receiver() as rx:
        rx.fail_next = 2
        await register(asgi_client, agent, rx.url, ["response"])
        await ask_and_answer(asgi_client, agent, sid)
        await settled.wait(lambda: any(o == "delivered" for _, o in settled.outcomes))
    assert [o for _, o in settled.outcomes] == ["retry", "retry", "delivered"]
    ids = {h.headers["hiloop-delivery"] for h in rx.hits}
    assert len(rx.hits) == 3 and len(ids) == 1 and rx.accepted == Counter({ids.pop(): 1})
    hooks = (await asgi_client.get("/v1/webhooks", headers=agent.headers)).json()["webhooks"]
    assert (hooks[0]["delivered"], hooks[0]["pending"], hooks[0]["failed"]) == (1, 0, 0)


async def test_a_delivery_that_never_succeeds_is_marked_failed_after_the_last_attempt(
        asgi_client, agent, sid, relay_state):
    settled = Settled(relay_state)
    async with running_receiver() as rx:
        rx.fail_always = True
        await register(asgi_client, agent, rx.url, ["response"])
        await ask_and_answer(asgi_client, agent, sid)
        await settled.wait(lambda: any(o == "failed" for _, o in settled.outcomes))
    assert [o for _, o in settled.outcomes] == ["retry", "retry", "retry", "failed"]
    hooks = (await asgi_client.get("/v1/webhooks", headers=agent.headers)).json()["webhooks"]
    assert (hooks[0]["failed"], hooks[0]["pending"], hooks[0]["last_error"]) == (1, 0, "http 500")


async def test_the_backoff_doubles_up_to_its_cap(relay_config):
    from relay.webhooks import backoff

    config = RelayConfig(db_path=relay_config.db_path, webhook_backoff=1.0, webhook_backoff_cap=5.0)
    assert [backoff(config, n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


class _WithState:
    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app({**scope, "state": dict(self.state)}, receive, send)


async def test_deliveries_pending_across_a_relay_restart_are_all_delivered_once_each(tmp_path):
    config = RelayConfig(db_path=tmp_path / "restart" / "relay.db", announce_setup=False,
                         webhook_backoff=0.01, webhook_backoff_cap=0.02, webhook_max_attempts=10_000)
    sock = bound_socket()  # the receiver's port: refusing connections until it listens
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"

    app = create_app(config)
    async with app.router.lifespan_context(app) as state:
        relay: RelayState = state["relay"]  # type: ignore[index]
        settled = Settled(relay)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_WithState(app, dict(state))),
                                     base_url="http://relay.test") as client:
            assert relay.setup_token is not None
            owner = await relay_util.create_owner(client, relay.setup_token)
            agent = await relay_util.pair_agent(client, owner, "restart-bot")
            sid = await relay_util.create_session(client, agent)
            await register(client, agent, url, ["response"])
            for _ in range(5):
                await ask_and_answer(client, agent, sid)
        await settled.wait(lambda: len({d for d, _ in settled.outcomes}) == 5)  # each tried and failed
    pending = await _pending_ids(config)
    assert len(pending) == 5

    app = create_app(config)  # the restart: a new process would read the same database
    async with running_receiver(sock) as rx, app.router.lifespan_context(app) as state:
        settled = Settled(state["relay"])  # type: ignore[index]
        await settled.wait(lambda: {d for d, o in settled.outcomes if o == "delivered"} == pending)
    assert rx.accepted == Counter(dict.fromkeys(pending, 1))
    assert await _pending_ids(config) == set()


async def _pending_ids(config: RelayConfig) -> set[str]:
    import sqlite3

    conn = sqlite3.connect(config.db_path)
    try:
        return {r[0] for r in conn.execute("SELECT delivery_id FROM deliveries WHERE status = 'pending'")}
    finally:
        conn.close()


async def test_a_guests_first_use_of_its_link_is_told_once_as_guest_joined(asgi_client, agent, relay_state):
    settled = Settled(relay_state)
    sid = await relay_util.create_session(asgi_client, agent, is_public=True)
    async with running_receiver() as rx:
        await register(asgi_client, agent, rx.url, ["guest_added", "guest_joined"])
        guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, sid)
        for _ in range(3):
            r = await asgi_client.get("/v1/guest/me", headers=relay_util.bearer(token))
            assert r.status_code == 200
        await asgi_client.get(f"/v1/sessions/{sid}/messages", headers=relay_util.bearer(token))
        await settled.wait(lambda: len(settled.outcomes) == 2)
    assert [(h.headers["hiloop-event"], h.delivery["data"]["guest_id"]) for h in rx.hits] == [
        ("guest_added", guest_id), ("guest_joined", guest_id)]
    events = (await asgi_client.get("/v1/events", headers=agent.owner.headers)).json()["events"]
    assert [e["data"]["action"] for e in events if e["data"].get("action", "").startswith("guest_")] == [
        "guest_added", "guest_joined"]
