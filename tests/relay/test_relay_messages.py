from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
import relay_util

from hiloop import wire

pytestmark = pytest.mark.anyio


async def timeline(client, headers, sid, **params):
    r = await client.get(f"/v1/sessions/{sid}/messages", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return wire.Timeline.model_validate(r.json())


async def test_a_message_is_stored_with_the_next_seq(asgi_client, agent, owner, sid):
    seqs = []
    for _ in range(3):
        r = await relay_util.send(asgi_client, agent.headers, sid, "agent")
        assert r.status_code == 201, r.text
        stored = wire.MessageStored.model_validate(r.json())
        assert (stored.sid, stored.from_, stored.status) == (sid, "agent", "none")
        seqs.append(stored.seq)
    r = await relay_util.send(asgi_client, owner.headers, sid, "owner", type="instruction")
    seqs.append(r.json()["seq"])
    assert seqs == [1, 2, 3, 4]
    t = await timeline(asgi_client, agent.headers, sid)
    assert [m.seq for m in t.messages] == [1, 2, 3, 4]
    assert [m.from_ for m in t.messages] == ["agent"] * 3 + ["owner"]
    assert t.cursor == 4 and t.session_status == "open" and t.epoch == 0


async def test_sending_the_same_mid_and_body_again_returns_the_stored_row(asgi_client, agent, sid, db_snapshot):
    body = relay_util.message_body(sid, "agent", type="decision", requires_response=True, priority="high")
    first = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert first.status_code == 201
    before = db_snapshot()
    again = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert db_snapshot() == before


async def test_the_same_mid_with_another_body_is_a_mid_conflict(asgi_client, agent, sid, db_snapshot):
    body = relay_util.message_body(sid, "agent")
    assert (await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)).status_code == 201
    before = db_snapshot()
    body["meta"] = {"priority": "urgent"}
    r = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "mid_conflict")
    body = relay_util.message_body(sid, "agent", mid=body["envelope"]["mid"])
    r = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "mid_conflict")
    assert db_snapshot() == before


async def test_a_retry_after_a_rotation_still_gets_its_stored_row(asgi_client, agent, sid):
    body = relay_util.message_body(sid, "agent")
    first = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    rot = {"epoch": 1, "wraps": [relay_util.wrap(sid, 1, "agent"), relay_util.wrap(sid, 1, "owner")]}
    assert (await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers, json=rot)).status_code == 200
    again = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert (again.status_code, again.json()) == (200, first.json())


@pytest.mark.parametrize("change,code,loc", [
    ({"envelope.sid": "s_other"}, "validation_error", ["body", "envelope", "sid"]),
    ({"envelope.from": "owner"}, "validation_error", ["body", "envelope", "from"]),
    ({"envelope.epoch": 1}, "stale_epoch", None),
    ({"envelope.epoch": "0"}, "validation_error", ["body", "envelope", "epoch"]),
    ({"envelope.v": 2}, "validation_error", ["body", "envelope", "v"]),
    ({"envelope.type": "wrap"}, "validation_error", ["body", "envelope", "type"]),
    ({"envelope.ct": "a+b"}, "validation_error", ["body", "envelope", "ct"]),
    ({"envelope.mid": "bad mid"}, "validation_error", ["body", "envelope", "mid"]),
    ({"envelope.extra": 1}, "validation_error", ["body", "envelope", "extra"]),
    ({"meta.type": "shout"}, "validation_error", ["body", "meta", "type"]),
    ({"meta.priority": "asap"}, "validation_error", ["body", "meta", "priority"]),
    ({"meta.deadline": "tomorrow"}, "validation_error", ["body", "meta", "deadline"]),
    ({"meta.type": "response"}, "validation_error", ["body", "meta", "reply_to"]),
    ({"meta.type": "response", "meta.reply_to": "nope"}, "validation_error", ["body", "meta", "reply_to"]),
])
async def test_a_bad_message_is_rejected_and_nothing_is_written(asgi_client, agent, sid, change, code, loc,
                                                                db_snapshot):
    body = relay_util.message_body(sid, "agent")
    for path, value in change.items():
        part, key = path.split(".")
        body[part][key] = value
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=body)
    assert r.json()["code"] == code, r.text
    if loc is not None:
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc
    assert db_snapshot() == before


async def test_a_body_that_is_not_json_is_invalid_json(asgi_client, agent, sid):
    for content in (b"{not json", b"", b"\xff\xfe"):
        r = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, content=content)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_json")
    r = await asgi_client.post(f"/v1/sessions/{sid}/messages", headers=agent.headers, json=[1, 2])
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


async def test_a_response_marks_its_request_answered(asgi_client, agent, owner, sid):
    req = (await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision",
                                 requires_response=True)).json()
    assert req["status"] == "open"
    info = (await asgi_client.get(f"/v1/sessions/{sid}", headers=owner.headers)).json()
    assert info["open_requests"] == 1
    r = await relay_util.send(asgi_client, owner.headers, sid, "owner", type="response", reply_to=req["mid"])
    assert r.status_code == 201 and r.json()["status"] == "none"
    got = wire.MessageOut.model_validate(
        (await asgi_client.get(f"/v1/sessions/{sid}/messages/{req['mid']}", headers=agent.headers)).json())
    assert got.status == "answered" and got.answered_at is not None
    info = (await asgi_client.get(f"/v1/sessions/{sid}", headers=owner.headers)).json()
    assert info["open_requests"] == 0
    r = await asgi_client.get(f"/v1/sessions/{sid}/messages/nope", headers=agent.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_the_timeline_pages_with_after_and_limit(asgi_client, agent, sid):
    for _ in range(5):
        await relay_util.send(asgi_client, agent.headers, sid, "agent")
    t = await timeline(asgi_client, agent.headers, sid, after=1, limit=2)
    assert [m.seq for m in t.messages] == [2, 3] and t.cursor == 3
    t = await timeline(asgi_client, agent.headers, sid, after=t.cursor)
    assert [m.seq for m in t.messages] == [4, 5] and t.cursor == 5
    t = await timeline(asgi_client, agent.headers, sid, after=5)
    assert t.messages == [] and t.cursor == 5
    for params in ({"after": -1}, {"wait": 61}, {"limit": 501}, {"after": "x"}):
        r = await asgi_client.get(f"/v1/sessions/{sid}/messages", headers=agent.headers, params=params)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error")
        assert r.json()["detail"][0]["loc"] == ["query", next(iter(params))]


async def test_a_long_poll_returns_as_soon_as_a_message_arrives(asgi_client, agent, owner, sid, watch):
    got = {}

    async def poll():
        got["t"] = await timeline(asgi_client, agent.headers, sid, after=0, wait=60)

    with anyio.fail_after(10):  # long before the 60 s hold would end
        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await watch.wait(f"session:{sid}")
            r = await relay_util.send(asgi_client, owner.headers, sid, "owner", type="instruction")
            assert r.status_code == 201
    assert [m.mid for m in got["t"].messages] == [r.json()["mid"]]


async def test_a_long_poll_over_real_http_returns_when_the_answer_arrives(live_relay, live_watch):
    async with httpx.AsyncClient(base_url=live_relay.url, timeout=90) as client:
        owner = await relay_util.create_owner(client, live_relay.setup_token)
        agent = await relay_util.pair_agent(client, owner)
        sid = await relay_util.create_session(client, agent)
        req = (await relay_util.send(client, agent.headers, sid, "agent", type="decision",
                                     requires_response=True)).json()
        got = {}

        async def await_response():
            got["t"] = await timeline(client, agent.headers, sid, after=req["seq"], wait=60)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(await_response)
                await live_watch.wait(f"session:{sid}")
                await relay_util.send(client, owner.headers, sid, "owner", type="response", reply_to=req["mid"])
        [answer] = got["t"].messages
        assert answer.meta.reply_to == req["mid"] and answer.from_ == "owner"


async def test_a_long_poll_with_nothing_new_returns_empty_when_its_wait_ends(asgi_client, agent, sid):
    with anyio.fail_after(10):
        t = await timeline(asgi_client, agent.headers, sid, after=0, wait=0.05)
    assert t.messages == [] and t.cursor == 0


async def test_a_long_poll_on_a_closed_session_returns_at_once(asgi_client, agent, sid):
    await asgi_client.post(f"/v1/sessions/{sid}/close", headers=agent.headers)
    with anyio.fail_after(10):
        t = await timeline(asgi_client, agent.headers, sid, after=0, wait=60)
    assert t.session_status == "closed"


async def test_a_request_past_its_deadline_becomes_expired_and_wakes_the_waiter(asgi_client, agent, owner, sid,
                                                                                watch):
    soon = (datetime.now(UTC) + timedelta(milliseconds=200)).isoformat()
    req = (await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision",
                                 requires_response=True, deadline=soon)).json()
    with anyio.fail_after(10):
        t = await timeline(asgi_client, agent.headers, sid, after=req["seq"], wait=30)
        while True:  # woken by the expiry (or, at worst, the wait ending): look at the request
            msg = (await asgi_client.get(f"/v1/sessions/{sid}/messages/{req['mid']}", headers=agent.headers)).json()
            if msg["status"] == "expired":
                break
            t = await timeline(asgi_client, agent.headers, sid, after=req["seq"], wait=30)
    assert t.messages == []
    events = (await asgi_client.get("/v1/events", headers=owner.headers)).json()["events"]
    status = [e for e in events if e["kind"] == "status"]
    assert status[-1]["data"]["mid"] == req["mid"] and status[-1]["data"]["status"] == "expired"
    # an answer after the deadline no longer changes the status
    await relay_util.send(asgi_client, owner.headers, sid, "owner", type="response", reply_to=req["mid"])
    msg = (await asgi_client.get(f"/v1/sessions/{sid}/messages/{req['mid']}", headers=agent.headers)).json()
    assert msg["status"] == "expired"


async def test_a_request_whose_deadline_already_passed_expires_at_once(asgi_client, agent, owner, sid):
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True,
                          deadline=past)
    with anyio.fail_after(10):
        after = 0
        while True:
            batch = (await asgi_client.get("/v1/events", headers=owner.headers,
                                           params={"after": after, "wait": 30})).json()
            after = batch["cursor"]
            if any(e["kind"] == "status" and e["data"]["status"] == "expired" for e in batch["events"]):
                break
    feed = (await asgi_client.get("/v1/feed", headers=owner.headers)).json()
    assert feed["items"] == []


async def test_typing_is_an_ephemeral_event_for_the_owner(asgi_client, agent, owner, sid, watch):
    got = {}

    async def poll():
        r = await asgi_client.get("/v1/events", headers=owner.headers, params={"after": 10**6, "wait": 60})
        got.update(r.json())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await watch.wait(f"owner:{owner.owner_id}")
            r = await asgi_client.post(f"/v1/sessions/{sid}/typing", headers=agent.headers)
            assert r.status_code == 204
    [event] = got["events"]
    assert (event["id"], event["kind"], event["sid"], event["data"]) == (None, "typing", sid, {"from": "agent"})
    assert got["cursor"] == 10**6


async def test_typing_in_a_closed_session_is_session_closed(asgi_client, agent, sid):
    await asgi_client.post(f"/v1/sessions/{sid}/close", headers=agent.headers)
    r = await asgi_client.post(f"/v1/sessions/{sid}/typing", headers=agent.headers)
    assert (r.status_code, r.json()["code"]) == (409, "session_closed")


async def test_a_deadline_that_cannot_be_expressed_in_utc_is_a_validation_error(asgi_client, agent, sid, db_snapshot):
    before = db_snapshot()
    for deadline in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        r = await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True,
                                  deadline=deadline)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), deadline
        assert "deadline" in r.text
    r = await asgi_client.get("/v1/sessions", headers=agent.headers, params={"before": "0001-01-01T00:00:00+01:00"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    assert db_snapshot() == before
