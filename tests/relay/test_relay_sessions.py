import pytest
import relay_util

from hiloop import wire

pytestmark = pytest.mark.anyio


async def test_an_agent_creates_a_session_with_members_and_wraps(asgi_client, agent, owner):
    body = relay_util.session_body(agent, kind="claude_code", priority="high", deadline="2030-01-01T00:00:00Z")
    r = await asgi_client.post("/v1/sessions", headers=agent.headers, json=body)
    assert r.status_code == 201, r.text
    info = wire.SessionInfo.model_validate(r.json())
    assert (info.sid, info.agent_id, info.owner_id) == (body["sid"], agent.agent_id, owner.owner_id)
    assert (info.kind, info.priority, info.status, info.epoch) == ("claude_code", "high", "open", 0)
    assert info.deadline is not None and info.deadline.year == 2030
    assert [m.id for m in info.members] == ["agent", "owner"]
    assert sorted(w.rid for w in info.wraps) == ["agent", "owner"]
    assert info.title is not None and info.title.wire() == body["title"]
    got = await asgi_client.get(f"/v1/sessions/{info.sid}", headers=owner.headers)
    assert got.json() == r.json()


def _bad_bodies(agent):
    def drop_owner_wrap(b):
        b["wraps"] = b["wraps"][:1]

    def extra_wrap(b):
        b["wraps"].append(relay_util.wrap(b["sid"], 0, "agent"))

    def wrap_epoch_1(b):
        b["wraps"][1]["epoch"] = 1

    def wrap_for_stranger(b):
        b["wraps"].append(relay_util.wrap(b["sid"], 0, "g_x"))

    def owner_keys_wrong(b):
        b["members"][1]["ed25519"] = relay_util.rand_b64u()

    def agent_keys_wrong(b):
        b["members"][0]["x25519"] = relay_util.rand_b64u()

    def member_sid_wrong(b):
        b["members"][1]["sid"] = "s_other"

    def duplicate_member(b):
        b["members"].append(dict(b["members"][1]))

    def guest_at_creation(b):
        b["members"].append(relay_util.member_cert(b["sid"], "g_1", "guest"))
        b["wraps"].append(relay_util.wrap(b["sid"], 0, "g_1"))

    def no_owner(b):
        b["members"][1]["role"] = "reader"

    def title_from_owner(b):
        b["title"]["from"] = "owner"

    def title_wrong_sid(b):
        b["title"]["sid"] = "s_other"

    def epoch_as_string(b):
        b["wraps"][0]["epoch"] = "0"

    def short_key(b):
        b["members"][0]["ed25519"] = relay_util.rand_b64u(31)

    def wrap_by_guest(b):
        b["wraps"][0]["by"] = "g_1"

    return [drop_owner_wrap, extra_wrap, wrap_epoch_1, wrap_for_stranger, owner_keys_wrong, agent_keys_wrong,
            member_sid_wrong, duplicate_member, guest_at_creation, no_owner, title_from_owner, title_wrong_sid,
            epoch_as_string, short_key, wrap_by_guest]


@pytest.mark.parametrize("index", range(15))
async def test_a_bad_session_is_rejected_with_422_and_nothing_is_written(asgi_client, agent, index, db_snapshot):
    mutate = _bad_bodies(agent)[index]
    body = relay_util.session_body(agent)
    mutate(body)
    before = db_snapshot()
    r = await asgi_client.post("/v1/sessions", headers=agent.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error"), (mutate.__name__, r.text)
    assert r.json()["detail"][0]["loc"][0] == "body"
    assert db_snapshot() == before


async def test_an_existing_sid_is_a_conflict(asgi_client, agent, sid, db_snapshot):
    before = db_snapshot()
    r = await asgi_client.post("/v1/sessions", headers=agent.headers, json=relay_util.session_body(agent, sid=sid))
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    assert db_snapshot() == before


async def test_only_an_agent_creates_sessions(asgi_client, agent, owner):
    body = relay_util.session_body(agent)
    r = await asgi_client.post("/v1/sessions", headers=owner.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await asgi_client.post("/v1/sessions", json=body)
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


async def test_sessions_list_newest_first_with_filters_and_pages(asgi_client, agent, owner):
    a = await relay_util.create_session(asgi_client, agent, kind="alpha")
    b = await relay_util.create_session(asgi_client, agent, kind="beta")
    c = await relay_util.create_session(asgi_client, agent, kind="beta")
    await asgi_client.post(f"/v1/sessions/{c}/close", headers=agent.headers)

    async def sids(headers, **params):
        r = await asgi_client.get("/v1/sessions", headers=headers, params=params)
        assert r.status_code == 200, r.text
        wire.SessionList.model_validate(r.json())
        return [s["sid"] for s in r.json()["sessions"]]

    assert await sids(owner.headers) == [c, b, a]
    assert await sids(agent.headers) == [c, b, a]
    assert await sids(owner.headers, kind="beta") == [c, b]
    assert await sids(owner.headers, status="open") == [b, a]
    assert await sids(owner.headers, agent=agent.agent_id, limit=1) == [c]
    first = (await asgi_client.get("/v1/sessions", headers=owner.headers, params={"limit": 2})).json()["sessions"]
    assert await sids(owner.headers, before=first[-1]["created_at"]) == [a]
    r = await asgi_client.get("/v1/sessions", headers=owner.headers, params={"limit": 0})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["query", "limit"])
    r = await asgi_client.get("/v1/sessions", headers=owner.headers, params={"status": "weird"})
    assert r.status_code == 422


async def test_closing_a_session_closes_its_open_requests(asgi_client, agent, owner, sid):
    r = await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True)
    mid = (await asgi_client.get(f"/v1/sessions/{sid}/messages", headers=owner.headers)).json()["messages"][0]["mid"]
    assert r.status_code == 201
    r = await asgi_client.post(f"/v1/sessions/{sid}/close", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["open_requests"] == 0
    msg = (await asgi_client.get(f"/v1/sessions/{sid}/messages/{mid}", headers=agent.headers)).json()
    assert msg["status"] == "closed"
    again = await asgi_client.post(f"/v1/sessions/{sid}/close", headers=agent.headers)
    assert again.status_code == 200 and again.json()["status"] == "closed"
    r = await relay_util.send(asgi_client, agent.headers, sid, "agent")
    assert (r.status_code, r.json()["code"]) == (409, "session_closed")


async def test_an_unknown_session_is_not_found(asgi_client, owner):
    for method, path in (("GET", "/v1/sessions/s_none"), ("POST", "/v1/sessions/s_none/close"),
                         ("GET", "/v1/sessions/s_none/messages")):
        r = await asgi_client.request(method, path, headers=owner.headers)
        assert (r.status_code, r.json()["code"]) == (404, "not_found")


# --- rotation ----------------------------------------------------------------------------------


def rotation(sid, epoch, recipients, remove=(), by="agent", **fields):
    return {"epoch": epoch, "remove": list(remove), "wraps": [relay_util.wrap(sid, epoch, rid, by) for rid in recipients],
            **fields}


async def test_a_rotation_is_compare_and_set_on_the_epoch(asgi_client, agent, owner, sid, db_snapshot):
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers,
                               json=rotation(sid, 1, ["agent", "owner"]))
    assert r.status_code == 200, r.text
    assert r.json()["epoch"] == 1 and len(r.json()["wraps"]) == 4
    before = db_snapshot()
    for epoch in (1, 3):  # a second batch for epoch 1 loses; skipping epoch 2 is refused
        r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=owner.headers,
                                   json=rotation(sid, epoch, ["agent", "owner"], by="owner"))
        assert (r.status_code, r.json()["code"]) == (409, "epoch_conflict")
    assert db_snapshot() == before
    # messages now need epoch 1
    r = await relay_util.send(asgi_client, agent.headers, sid, "agent", epoch=0)
    assert (r.status_code, r.json()["code"]) == (409, "stale_epoch")
    r = await relay_util.send(asgi_client, agent.headers, sid, "agent", epoch=1)
    assert r.status_code == 201


async def test_a_rotation_wraps_exactly_the_remaining_members(asgi_client, agent, owner, public_sid, db_snapshot):
    sid = public_sid
    guest_id, token = await relay_util.add_guest(asgi_client, agent.headers, sid)
    before = db_snapshot()
    for recipients, remove in ((["agent", "owner"], []),                # the guest is missing
                               (["agent", "owner", guest_id], [guest_id]),  # the removed guest is wrapped
                               (["agent"], [])):
        r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers,
                                   json=rotation(sid, 1, recipients, remove))
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), r.text
    for remove in (["owner"], ["nobody"]):
        r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers,
                                   json=rotation(sid, 1, ["agent", "owner"], remove))
        assert r.status_code == 422
    assert db_snapshot() == before
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers,
                               json=rotation(sid, 1, ["agent", "owner"], [guest_id]))
    assert r.status_code == 200, r.text
    info = wire.SessionInfo.model_validate(r.json())
    assert info.removed == [guest_id] and info.epoch == 1
    r = await asgi_client.get("/v1/guest/me", headers=relay_util.bearer(token))
    assert (r.status_code, r.json()["code"]) == (401, "token_revoked")


async def test_a_rotation_can_add_a_reader_and_re_title(asgi_client, agent, owner, sid):
    other = await relay_util.pair_agent(asgi_client, owner, "other")
    rid = f"r_{other.agent_id}"
    r = await asgi_client.post(f"/v1/agents/{agent.agent_id}/readers", headers=owner.headers,
                               json={"reader_agent_id": other.agent_id})
    assert r.status_code == 201, r.text
    reader = relay_util.member_cert(sid, rid, "reader", other.keys)
    title = relay_util.envelope(sid, "owner", 1, mid="title-1")
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=owner.headers,
                               json=rotation(sid, 1, ["agent", "owner", rid], members=[reader], title=title))
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["members"]] == ["agent", "owner", rid]
    assert r.json()["title"] == title
    bad = relay_util.envelope(sid, "agent", 2, mid="title-2")  # the owner rotates, so the owner titles
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=owner.headers,
                               json=rotation(sid, 2, ["agent", "owner", rid], title=bad))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title", "from"]


async def test_a_closed_session_does_not_rotate(asgi_client, agent, sid):
    await asgi_client.post(f"/v1/sessions/{sid}/close", headers=agent.headers)
    r = await asgi_client.post(f"/v1/sessions/{sid}/rotate", headers=agent.headers,
                               json=rotation(sid, 1, ["agent", "owner"]))
    assert (r.status_code, r.json()["code"]) == (409, "session_closed")
