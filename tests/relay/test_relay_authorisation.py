"""The authorisation matrix: every cell available today."""

import pytest
import relay_util

from relay.auth import hash_token

pytestmark = pytest.mark.anyio


@pytest.fixture
async def other_agent(asgi_client, owner):
    return await relay_util.pair_agent(asgi_client, owner, "other-bot")


@pytest.fixture
async def other_owner(asgi_client, relay_state):
    await relay_state.store.write(lambda tx: tx.add_setup_token(hash_token("hls_other")))
    return await relay_util.create_owner(asgi_client, "hls_other")


def reads(sid):
    return [("GET", f"/v1/sessions/{sid}", None), ("GET", f"/v1/sessions/{sid}/messages", None)]


def writes(sid):
    return [
        ("POST", f"/v1/sessions/{sid}/messages", relay_util.message_body(sid, "agent")),
        ("POST", f"/v1/sessions/{sid}/typing", None),
        ("POST", f"/v1/sessions/{sid}/close", None),
        ("POST", f"/v1/sessions/{sid}/rotate", {"epoch": 1, "wraps": [relay_util.wrap(sid, 1, "agent")]}),
        ("POST", f"/v1/sessions/{sid}/guests", relay_util.guest_body(sid)),
        ("GET", f"/v1/sessions/{sid}/guests", None),
        ("DELETE", f"/v1/sessions/{sid}/guests/g_x", None),
        ("POST", f"/v1/sessions/{sid}/readers", {"member": relay_util.member_cert(sid, "r_a_x", "reader"),
                                                 "wraps": [relay_util.wrap(sid, 0, "r_a_x")]}),
    ]


async def assert_all(client, headers, calls, status, code):
    for method, path, body in calls:
        r = await client.request(method, path, headers=headers, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), (method, path, r.text)


async def test_an_agent_cannot_touch_another_agents_session(asgi_client, agent, other_agent, sid, db_snapshot):
    before = db_snapshot()
    await assert_all(asgi_client, other_agent.headers, reads(sid) + writes(sid), 403, "forbidden")
    assert db_snapshot() == before
    listed = (await asgi_client.get("/v1/sessions", headers=other_agent.headers)).json()["sessions"]
    assert listed == []
    r = await asgi_client.get("/v1/sessions", headers=other_agent.headers, params={"agent": agent.agent_id})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


async def test_an_owner_cannot_touch_another_owners_session(asgi_client, other_owner, sid, db_snapshot):
    before = db_snapshot()
    await assert_all(asgi_client, other_owner.headers, reads(sid) + writes(sid), 403, "forbidden")
    assert db_snapshot() == before
    assert (await asgi_client.get("/v1/sessions", headers=other_owner.headers)).json()["sessions"] == []
    assert (await asgi_client.get("/v1/agents", headers=other_owner.headers)).json()["agents"] == []


async def test_an_owner_cannot_see_another_owners_approved_pairing(asgi_client, agent, other_owner):
    r = await asgi_client.get(f"/v1/pairings/{agent.pairing_id}", headers=other_owner.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


async def test_a_guest_cannot_touch_another_session(asgi_client, agent, public_sid, db_snapshot):
    other = await relay_util.create_session(asgi_client, agent, is_public=True)
    _, token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    before = db_snapshot()
    await assert_all(asgi_client, relay_util.bearer(token), reads(other), 403, "forbidden")
    r = await relay_util.send(asgi_client, relay_util.bearer(token), other, "g_x", type="response", reply_to="m")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert db_snapshot() == before


async def test_a_guest_after_expiry_or_revocation_gets_nothing(asgi_client, agent, public_sid, relay_state):
    g1, t1 = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    g2, t2 = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    await asgi_client.delete(f"/v1/sessions/{public_sid}/guests/{g1}", headers=agent.headers)
    await relay_state.store.write(
        lambda tx: tx.run("UPDATE guests SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE guest_id = ?", (g2,)))
    await assert_all(asgi_client, relay_util.bearer(t1), reads(public_sid), 401, "token_revoked")
    await assert_all(asgi_client, relay_util.bearer(t2), reads(public_sid), 401, "token_expired")


async def test_a_reader_reads_but_never_writes(asgi_client, agent, other_agent, owner, db_snapshot):
    sid = relay_util.session_body(agent)["sid"]
    body = relay_util.session_body(agent, sid=sid)
    reader_id = f"r_{other_agent.agent_id}"
    r = await asgi_client.post(f"/v1/agents/{agent.agent_id}/readers", headers=owner.headers,
                               json={"reader_agent_id": other_agent.agent_id})
    assert r.status_code == 201, r.text
    body["members"].append(relay_util.member_cert(sid, reader_id, "reader", other_agent.keys))
    body["wraps"].append(relay_util.wrap(sid, 0, reader_id))
    r = await asgi_client.post("/v1/sessions", headers=agent.headers, json=body)
    assert r.status_code == 201, r.text
    for method, path, _ in reads(sid):
        assert (await asgi_client.request(method, path, headers=other_agent.headers)).status_code == 200
    before = db_snapshot()
    r = await relay_util.send(asgi_client, other_agent.headers, sid, reader_id)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    await assert_all(asgi_client, other_agent.headers, writes(sid)[1:], 403, "forbidden")
    assert db_snapshot() == before


async def test_no_or_unknown_credentials_are_unauthorized(asgi_client, sid):
    for headers in ({}, relay_util.bearer("hlp_nope"), relay_util.bearer("hlg_nope"), relay_util.bearer("nope"),
                    {"Authorization": "Basic abc"}):
        await assert_all(asgi_client, headers, reads(sid), 401, "unauthorized")


async def test_a_guest_cannot_post_a_request_to_the_owners_inbox(asgi_client, agent, owner, public_sid, db_snapshot):
    request = await relay_util.send(asgi_client, agent.headers, public_sid, "agent", type="decision",
                                    requires_response=True)
    mid = request.json()["mid"]
    gid, token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    before = db_snapshot()
    for meta in ({"requires_response": True}, {"deadline": "2030-01-01T00:00:00Z"},
                 {"priority": "urgent", "requires_response": True}):
        r = await relay_util.send(asgi_client, relay_util.bearer(token), public_sid, gid, type="response",
                                  reply_to=mid, **meta)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), meta
    assert db_snapshot() == before
    feed = (await asgi_client.get("/v1/feed", headers=owner.headers)).json()["items"]
    assert [item["message"]["from"] for item in feed] == ["agent"]
    r = await relay_util.send(asgi_client, relay_util.bearer(token), public_sid, gid, type="response", reply_to=mid)
    assert r.status_code == 201, r.text  # an answer without a request of its own is still fine
