import pytest
import relay_util

from hiloop import wire

pytestmark = pytest.mark.anyio


async def expire_guest(relay_state, sid, guest_id):
    await relay_state.store.write(lambda tx: tx.run(
        "UPDATE guests SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE sid = ? AND guest_id = ?", (sid, guest_id)))


async def test_a_guest_link_for_a_public_session(asgi_client, agent, owner, public_sid):
    sid = public_sid
    body = relay_util.guest_body(sid, label="Team", expires_in=600)
    r = await asgi_client.post(f"/v1/sessions/{sid}/guests", headers=owner.headers, json=body)
    assert r.status_code == 201, r.text
    created = wire.GuestCreated.model_validate(r.json())
    assert created.token.startswith("hlg_") and created.label == "Team" and created.guest_id == body["member"]["id"]
    guest = relay_util.bearer(created.token)
    me = wire.GuestInfo.model_validate((await asgi_client.get("/v1/guest/me", headers=guest)).json())
    assert (me.sid, me.guest_id, me.label) == (sid, created.guest_id, "Team")
    info = (await asgi_client.get(f"/v1/sessions/{sid}", headers=guest)).json()
    assert created.guest_id in [m["id"] for m in info["members"]]
    assert any(w["rid"] == created.guest_id for w in info["wraps"])
    listed = wire.GuestList.model_validate((await asgi_client.get(f"/v1/sessions/{sid}/guests",
                                                                  headers=agent.headers)).json())
    assert [(g.guest_id, g.revoked) for g in listed.guests] == [(created.guest_id, False)]
    assert "token" not in (await asgi_client.get(f"/v1/sessions/{sid}/guests", headers=agent.headers)).text


async def test_the_default_expiry_is_an_hour_and_the_most_a_day(asgi_client, agent, public_sid):
    r = await asgi_client.post(f"/v1/sessions/{public_sid}/guests", headers=agent.headers,
                               json=relay_util.guest_body(public_sid))
    created = wire.GuestCreated.model_validate(r.json())
    info = (await asgi_client.get(f"/v1/sessions/{public_sid}", headers=agent.headers)).json()
    lifetime = created.expires_at - wire.SessionInfo.model_validate(info).updated_at
    assert 3590 <= lifetime.total_seconds() <= 3610
    r = await asgi_client.post(f"/v1/sessions/{public_sid}/guests", headers=agent.headers,
                               json=relay_util.guest_body(public_sid, expires_in=86401))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "expires_in"]


async def test_a_private_session_gets_no_guest_link(asgi_client, agent, sid, db_snapshot):
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/sessions/{sid}/guests", headers=agent.headers, json=relay_util.guest_body(sid))
    assert (r.status_code, r.json()["code"]) == (409, "session_not_public")
    assert db_snapshot() == before


@pytest.mark.parametrize("change,code", [
    ({"member.role": "owner"}, "validation_error"),
    ({"member.sid": "s_other"}, "validation_error"),
    ({"member.id": "owner"}, "conflict"),
    ({"wrap.rid": "g_someone_else"}, "validation_error"),
    ({"wrap.epoch": 1}, "stale_epoch"),
    ({"wrap.by": "g_self"}, "validation_error"),
])
async def test_a_bad_guest_request_is_rejected_and_nothing_is_written(asgi_client, agent, public_sid, change, code,
                                                                      db_snapshot):
    body = relay_util.guest_body(public_sid)
    for path, value in change.items():
        part, key = path.split(".")
        body[part][key] = value
        if path == "member.id":
            body["wrap"]["rid"] = value
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/sessions/{public_sid}/guests", headers=agent.headers, json=body)
    assert r.json()["code"] == code, r.text
    assert db_snapshot() == before


async def test_a_revoked_guest_token_stops_working(asgi_client, agent, owner, public_sid):
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    r = await asgi_client.delete(f"/v1/sessions/{public_sid}/guests/{guest_id}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["revoked"] is True
    for method, path in (("GET", "/v1/guest/me"), ("GET", f"/v1/sessions/{public_sid}"),
                         ("GET", f"/v1/sessions/{public_sid}/messages")):
        r = await asgi_client.request(method, path, headers=relay_util.bearer(token))
        assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    r = await relay_util.send(asgi_client, relay_util.bearer(token), public_sid, guest_id, type="response",
                              reply_to="x")
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")
    info = (await asgi_client.get(f"/v1/sessions/{public_sid}", headers=owner.headers)).json()
    assert info["removed"] == [guest_id]
    again = await asgi_client.delete(f"/v1/sessions/{public_sid}/guests/{guest_id}", headers=owner.headers)
    assert again.status_code == 200
    r = await asgi_client.delete(f"/v1/sessions/{public_sid}/guests/g_nobody", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_an_expired_guest_token_stops_working(asgi_client, agent, public_sid, relay_state):
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    assert (await asgi_client.get("/v1/guest/me", headers=relay_util.bearer(token))).status_code == 200
    await expire_guest(relay_state, public_sid, guest_id)
    for path in ("/v1/guest/me", f"/v1/sessions/{public_sid}/messages"):
        r = await asgi_client.get(path, headers=relay_util.bearer(token))
        assert (r.status_code, r.json()["code"]) == (401, "token_expired")


async def test_a_guest_reads_and_responds_but_sends_nothing_else(asgi_client, agent, owner, public_sid):
    sid = public_sid
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, sid)
    guest = relay_util.bearer(token)
    poll = (await relay_util.send(asgi_client, agent.headers, sid, "agent", type="question",
                                  requires_response=True)).json()
    t = (await asgi_client.get(f"/v1/sessions/{sid}/messages", headers=guest)).json()
    assert [m["mid"] for m in t["messages"]] == [poll["mid"]]
    r = await relay_util.send(asgi_client, guest, sid, guest_id, type="response", reply_to=poll["mid"])
    assert r.status_code == 201 and r.json()["from"] == guest_id
    # a guest's answer is routing-only: it does not close the request (only the owner approves)
    msg = (await asgi_client.get(f"/v1/sessions/{sid}/messages/{poll['mid']}", headers=owner.headers)).json()
    assert msg["status"] == "open"
    r = await relay_util.send(asgi_client, guest, sid, guest_id, type="reaction")
    assert r.status_code == 201
    r = await relay_util.send(asgi_client, guest, sid, guest_id, type="text")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await relay_util.send(asgi_client, guest, sid, "owner", type="response", reply_to=poll["mid"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "envelope", "from"]
    assert (await asgi_client.post(f"/v1/sessions/{sid}/typing", headers=guest)).status_code == 204


async def test_a_guest_of_a_read_only_session_only_reads(asgi_client, agent, db_snapshot):
    sid = await relay_util.create_session(asgi_client, agent, is_public=True, public_mode="read")
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, sid)
    guest = relay_util.bearer(token)
    assert (await asgi_client.get(f"/v1/sessions/{sid}/messages", headers=guest)).status_code == 200
    before = db_snapshot()
    r = await relay_util.send(asgi_client, guest, sid, guest_id, type="reaction")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await asgi_client.post(f"/v1/sessions/{sid}/typing", headers=guest)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    assert db_snapshot() == before


async def test_a_guest_manages_nothing(asgi_client, agent, public_sid):
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    guest = relay_util.bearer(token)
    for method, path in (("POST", f"/v1/sessions/{public_sid}/close"),
                         ("POST", f"/v1/sessions/{public_sid}/rotate"),
                         ("GET", f"/v1/sessions/{public_sid}/guests"),
                         ("DELETE", f"/v1/sessions/{public_sid}/guests/{guest_id}"),
                         ("GET", "/v1/sessions"), ("GET", "/v1/feed"), ("GET", "/v1/events")):
        r = await asgi_client.request(method, path, headers=guest)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path)
