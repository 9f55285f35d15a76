"""`keys=true` on the feed and the session list: each session carries the members and wraps that
`GET /v1/sessions/{sid}` returns, read in one query for all members and one for all wraps."""

import pytest
import relay_util

from hiloop import wire

pytestmark = pytest.mark.anyio


async def full(asgi_client, headers, sid):
    return (await asgi_client.get(f"/v1/sessions/{sid}", headers=headers)).json()


async def test_the_feed_with_keys_carries_each_sessions_members_and_wraps(asgi_client, agent, owner):
    sids = [await relay_util.create_session(asgi_client, agent, is_public=i == 1, **({"title": None} if i == 2 else {}))
            for i in range(3)]
    for sid in sids:
        await relay_util.send(asgi_client, agent.headers, sid, "agent", type="decision", requires_response=True)
    await relay_util.add_guest(asgi_client, agent.headers, sids[1])  # a third member, a third wrap
    r = await asgi_client.get("/v1/feed", headers=owner.headers, params={"keys": "true"})
    feed = wire.Feed.model_validate(r.json())
    assert sorted(i.session.sid for i in feed.items) == sorted(sids)
    for item in r.json()["items"]:
        expected = await full(asgi_client, owner.headers, item["session"]["sid"])
        assert item["session"] == expected
        assert len(item["session"]["wraps"]) == (3 if item["session"]["sid"] == sids[1] else 2)
    plain = (await asgi_client.get("/v1/feed", headers=owner.headers)).json()
    assert all(i["session"]["members"] == [] and i["session"]["wraps"] == [] for i in plain["items"])
    for with_keys, without in zip(r.json()["items"], plain["items"], strict=True):
        assert with_keys["message"] == without["message"]
        assert {**with_keys["session"], "members": [], "wraps": [], "removed": []} == without["session"]
    assert [i["session"]["title"] is None for i in plain["items"]].count(True) == 1


async def test_the_session_list_with_keys_matches_each_session(asgi_client, agent, owner):
    sids = [await relay_util.create_session(asgi_client, agent) for _ in range(4)]
    listed = (await asgi_client.get("/v1/sessions", headers=owner.headers, params={"keys": "1"})).json()["sessions"]
    assert sorted(s["sid"] for s in listed) == sorted(sids)
    for s in listed:
        assert s == await full(asgi_client, owner.headers, s["sid"])
        assert {m["id"] for m in s["members"]} == {"agent", "owner"} and len(s["wraps"]) == 2
    mine = (await asgi_client.get("/v1/sessions", headers=agent.headers, params={"keys": "1", "limit": 2})).json()
    assert [len(s["wraps"]) for s in mine["sessions"]] == [2, 2]


async def test_the_feed_takes_up_to_a_thousand_requests(asgi_client, owner):
    r = await asgi_client.get("/v1/feed", headers=owner.headers, params={"limit": 1000})
    assert r.status_code == 200
    r = await asgi_client.get("/v1/feed", headers=owner.headers, params={"limit": 1001})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
