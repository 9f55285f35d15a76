"""Readers at the relay: the owner grants and withdraws; agents add granted readers; readers only read."""

from __future__ import annotations

import pytest
import relay_util

pytestmark = pytest.mark.anyio


@pytest.fixture
async def reader(asgi_client, owner):
    return await relay_util.pair_agent(asgi_client, owner, "reader-bot")


async def grant(client, owner, agent_id, reader_id, status=201):
    r = await client.post(f"/v1/agents/{agent_id}/readers", headers=owner.headers,
                          json={"reader_agent_id": reader_id})
    assert r.status_code == status, r.text
    return r.json()


def reader_body(sid, reader, epochs=(0,), keys=None):
    rid = f"r_{reader.agent_id}"
    return {"member": relay_util.member_cert(sid, rid, "reader", keys or reader.keys),
            "wraps": [relay_util.wrap(sid, e, rid) for e in epochs]}


async def test_a_grant_shows_on_both_agents_and_is_idempotent(asgi_client, owner, agent, reader):
    out = await grant(asgi_client, owner, agent.agent_id, reader.agent_id)
    assert (out["agent_id"], out["reader_agent_id"]) == (agent.agent_id, reader.agent_id)
    await grant(asgi_client, owner, agent.agent_id, reader.agent_id, status=200)
    me = (await asgi_client.get("/v1/agents/me", headers=agent.headers)).json()
    assert [p["agent_id"] for p in me["readers"]] == [reader.agent_id] and me["readable"] == []
    assert me["readers"][0]["agent_cert"]["agent"] == reader.agent_id
    them = (await asgi_client.get("/v1/agents/me", headers=reader.headers)).json()
    assert [p["agent_id"] for p in them["readable"]] == [agent.agent_id] and them["readers"] == []
    listed = (await asgi_client.get("/v1/agents", headers=owner.headers)).json()["agents"]
    assert {a["agent_id"]: [p["agent_id"] for p in a["readers"]] for a in listed} == {
        agent.agent_id: [reader.agent_id], reader.agent_id: []}


async def test_grants_are_the_owners_between_two_of_its_own_agents(asgi_client, owner, agent, reader):
    r = await asgi_client.post(f"/v1/agents/{agent.agent_id}/readers", headers=agent.headers,
                               json={"reader_agent_id": reader.agent_id})
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await asgi_client.post(f"/v1/agents/{agent.agent_id}/readers", headers=owner.headers,
                               json={"reader_agent_id": agent.agent_id})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = await asgi_client.post(f"/v1/agents/{agent.agent_id}/readers", headers=owner.headers,
                               json={"reader_agent_id": "a_nobody"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = await asgi_client.post("/v1/agents/a_nobody/readers", headers=owner.headers,
                               json={"reader_agent_id": reader.agent_id})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await asgi_client.delete(f"/v1/agents/{agent.agent_id}/readers/{reader.agent_id}", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_only_a_granted_reader_with_its_own_keys_joins_a_session(asgi_client, owner, agent, reader, sid,
                                                                         db_snapshot):
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=reader_body(sid, reader))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    await grant(asgi_client, owner, agent.agent_id, reader.agent_id)
    before = db_snapshot()
    wrong_keys = reader_body(sid, reader, keys={"x25519": relay_util.rand_b64u(), "ed25519": relay_util.rand_b64u()})
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=wrong_keys)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers,
                               json=reader_body(sid, reader, epochs=(1,)))
    assert r.status_code in (409, 422)
    assert db_snapshot() == before
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=reader_body(sid, reader))
    assert r.status_code == 201, r.text
    assert f"r_{reader.agent_id}" in [m["id"] for m in r.json()["members"]]
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=reader_body(sid, reader))
    assert (r.status_code, r.json()["code"]) == (409, "conflict")


async def test_a_reader_lists_and_reads_what_it_may_and_writes_nothing(asgi_client, owner, agent, reader, sid,
                                                                         db_snapshot):
    await grant(asgi_client, owner, agent.agent_id, reader.agent_id)
    r = await asgi_client.get("/v1/sessions", headers=reader.headers, params={"readable": "true"})
    assert r.json()["sessions"] == []
    r = await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=reader_body(sid, reader))
    assert r.status_code == 201
    r = await asgi_client.get("/v1/sessions", headers=reader.headers, params={"readable": "true"})
    assert [s["sid"] for s in r.json()["sessions"]] == [sid]
    assert (await asgi_client.get("/v1/sessions", headers=reader.headers)).json()["sessions"] == []
    for path in (f"/v1/sessions/{sid}", f"/v1/sessions/{sid}/messages"):
        assert (await asgi_client.get(path, headers=reader.headers)).status_code == 200
    rid = f"r_{reader.agent_id}"
    before = db_snapshot()
    for method, path, body in (
        ("POST", f"/v1/sessions/{sid}/messages", relay_util.message_body(sid, rid, type="response", reply_to="x")),
        ("POST", f"/v1/sessions/{sid}/typing", None),
        ("POST", f"/v1/sessions/{sid}/close", None),
        ("POST", f"/v1/sessions/{sid}/rotate", {"epoch": 1, "wraps": [relay_util.wrap(sid, 1, "agent")]}),
        ("POST", f"/v1/sessions/{sid}/guests", relay_util.guest_body(sid)),
        ("POST", f"/v1/sessions/{sid}/readers", reader_body(sid, reader)),
    ):
        r = await asgi_client.request(method, path, headers=reader.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path, r.text)
    assert db_snapshot() == before


async def test_withdrawal_removes_the_reader_at_once_and_a_rotation_leaves_it_out(asgi_client, owner, agent, reader,
                                                                                    sid):
    await grant(asgi_client, owner, agent.agent_id, reader.agent_id)
    await asgi_client.post(f"/v1/sessions/{sid}/readers", headers=agent.headers, json=reader_body(sid, reader))
    r = await asgi_client.delete(f"/v1/agents/{agent.agent_id}/readers/{reader.agent_id}", headers=owner.headers)
    assert r.status_code == 204
    rid = f"r_{reader.agent_id}"
    r = await asgi_client.get(f"/v1/sessions/{sid}", headers=reader.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert (await asgi_client.get("/v1/sessions", headers=reader.headers,
                                  params={"readable": "true"})).json()["sessions"] == []
    info = (await asgi_client.get(f"/v1/sessions/{sid}", headers=agent.headers)).json()
    assert rid in info["removed"]
    me = (await asgi_client.get("/v1/agents/me", headers=agent.headers)).json()
    assert me["readers"] == []
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers, json={
        "epoch": 1, "remove": [rid], "wraps": [relay_util.wrap(sid, 1, "agent"), relay_util.wrap(sid, 1, "owner")]})
    assert r.status_code == 200, r.text
    assert {w["rid"] for w in r.json()["wraps"] if w["epoch"] == 1} == {"agent", "owner"}
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers, json={
        "epoch": 2, "wraps": [relay_util.wrap(sid, 2, m) for m in ("agent", "owner", rid)]})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")  # no key for a withdrawn reader
