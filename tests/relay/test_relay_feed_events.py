import json
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
import relay_util

from hiloop import wire
from relay.auth import hash_token
from relay.broker import owner_topic
from relay.routes.events import sse

pytestmark = pytest.mark.anyio


async def test_the_feed_orders_open_requests_by_priority_then_deadline_then_age(asgi_client, agent, owner):
    s1 = await relay_util.create_session(asgi_client, agent)
    s2 = await relay_util.create_session(asgi_client, agent)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    sent = {}
    for name, sid, meta in [
        ("normal_old", s1, {"priority": "normal"}),
        ("low", s2, {"priority": "low", "deadline": soon}),
        ("high_later", s1, {"priority": "high", "deadline": later}),
        ("normal_new", s2, {"priority": "normal"}),
        ("urgent", s2, {"priority": "urgent"}),
        ("high_soon", s2, {"priority": "high", "deadline": soon}),
        ("high_none", s1, {"priority": "high"}),
        ("not_a_request", s1, {"priority": "urgent", "requires_response": False}),
    ]:
        meta = {"type": "decision", "requires_response": True, **meta}
        sent[name] = (await relay_util.send(asgi_client, agent.headers, sid, "agent", **meta)).json()["mid"]
    answered = sent["normal_new"]
    r = await relay_util.send(asgi_client, owner.headers, s2, "owner", type="response", reply_to=answered)
    assert r.status_code == 201
    feed = wire.Feed.model_validate((await asgi_client.get("/v1/feed", headers=owner.headers)).json())
    names = {mid: name for name, mid in sent.items()}
    assert [names[i.message.mid] for i in feed.items] == ["urgent", "high_soon", "high_later", "high_none",
                                                          "normal_old", "low"]
    assert feed.items[0].session.sid == s2 and feed.items[0].session.members == []
    limited = (await asgi_client.get("/v1/feed", headers=owner.headers, params={"limit": 2})).json()
    assert len(limited["items"]) == 2


async def test_the_feed_is_the_owners_own(asgi_client, agent, owner, relay_state, sid):
    await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True)
    await relay_state.store.write(lambda tx: tx.add_setup_token(hash_token("hls_two")))
    other = await relay_util.create_owner(asgi_client, "hls_two")
    assert (await asgi_client.get("/v1/feed", headers=other.headers)).json()["items"] == []
    r = await asgi_client.get("/v1/feed", headers=agent.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


async def test_events_long_poll_in_order_with_a_cursor(asgi_client, agent, owner, sid):
    await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True)
    batch = wire.EventBatch.model_validate((await asgi_client.get("/v1/events", headers=owner.headers)).json())
    kinds = [e.kind for e in batch.events]
    assert kinds == ["pairing", "pairing", "session", "message"]  # pending, approved, created, message
    assert [e.id for e in batch.events] == sorted(e.id for e in batch.events)
    message = batch.events[-1]
    assert message.sid == sid and message.data["meta"]["type"] == "decision" and message.data["status"] == "open"
    assert "envelope" not in message.data
    again = (await asgi_client.get("/v1/events", headers=owner.headers, params={"after": batch.cursor})).json()
    assert again == {"events": [], "cursor": batch.cursor}
    r = await asgi_client.get("/v1/events", headers=agent.headers)
    assert r.status_code == 403


def read_sse(lines):
    """Parse SSE events from an async line iterator: yields dicts with event, id, data / comment."""

    async def gen():
        event = {}
        async for line in lines:
            if line == "":
                if event:
                    yield event
                event = {}
            elif line.startswith(":"):
                yield {"comment": line[1:].strip()}
            else:
                key, _, value = line.partition(":")
                event[key] = value.removeprefix(" ")

    return gen()


async def test_sse_starts_with_open_streams_events_and_resumes_with_last_event_id(live_relay, live_watch):
    async with httpx.AsyncClient(base_url=live_relay.url, timeout=30) as client:
        owner = await relay_util.create_owner(client, live_relay.setup_token)
        agent = await relay_util.pair_agent(client, owner)
        sid = await relay_util.create_session(client, agent)
        headers = {**owner.headers, "Accept": "text/event-stream"}
        seen = []
        with anyio.fail_after(10):
            async with client.stream("GET", "/v1/events", headers=headers) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                events = read_sse(response.aiter_lines())
                first = await anext(events)
                assert first["event"] == "open" and "id" not in first
                while len(seen) < 3:  # the history: two pairing events and the session's creation
                    seen.append(await anext(events))
                r = await relay_util.send(client, agent.headers, sid, "agent", type="report")
                live = await anext(events)
                assert live["event"] == "message" and json.loads(live["data"])["data"]["mid"] == r.json()["mid"]
                seen.append(live)
        assert [e["event"] for e in seen] == ["pairing", "pairing", "session", "message"]
        assert [int(e["id"]) for e in seen] == sorted(int(e["id"]) for e in seen)
        for e in seen:
            wire.EventOut.model_validate_json(e["data"])

        # resume after the session event: only what came later
        resume = {**headers, "Last-Event-ID": seen[2]["id"]}
        await relay_util.send(client, agent.headers, sid, "agent", type="report")
        with anyio.fail_after(10):
            async with client.stream("GET", "/v1/events", headers=resume) as response:
                events = read_sse(response.aiter_lines())
                opened = await anext(events)
                assert json.loads(opened["data"]) == {"cursor": int(seen[2]["id"])}
                again = [await anext(events), await anext(events)]
        assert again[0]["id"] == seen[3]["id"]
        assert [e["event"] for e in again] == ["message", "message"]
        for bad in ("abc", "9" * 30, b"\xb2"):  # not a number, too big for SQLite, a superscript two
            r = await client.get("/v1/events", headers={**headers, "Last-Event-ID": bad})
            assert (r.status_code, r.json()["code"]) == (422, "validation_error"), bad


async def test_a_quiet_sse_stream_sends_keep_alive_comments(relay_state, owner):
    relay_state.config.keepalive = 0.01
    stream = sse(relay_state, owner.owner_id, 10**6)
    try:
        with anyio.fail_after(10):
            assert (await anext(stream)).startswith("retry: ")
            assert await anext(stream) == ": keep-alive\n\n"
            await relay_state.broker.publish(owner_topic(owner.owner_id), {"id": None, "kind": "typing", "sid": "s",
                                                                          "data": {}, "created_at": "x"})
            chunk = await anext(stream)
            while chunk.startswith(":"):
                chunk = await anext(stream)
            assert chunk.startswith("event: typing\n")
    finally:
        await stream.aclose()
