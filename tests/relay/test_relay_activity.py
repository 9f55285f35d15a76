"""Per-agent activity figures, computed from routing metadata of a scripted history."""

from __future__ import annotations

from datetime import timedelta

import pytest
import relay_util

from relay.activity import Request, figures, percentile
from relay.times import iso, now

pytestmark = pytest.mark.anyio


def test_percentiles_interpolate_between_ranks():
    assert percentile([], 50) is None
    assert percentile([10.0], 90) == 10.0
    assert percentile([50.0, 10.0, 30.0, 20.0, 40.0], 50) == 30.0
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 90) == pytest.approx(46.0)


def test_figures_count_sla_kept_and_missed_and_bucket_messages_by_hour():
    at = now().replace(minute=30, second=0, microsecond=0)

    def ago(**kw: float) -> str:
        return iso(at - timedelta(**kw))

    requests = [
        Request("answered", ago(hours=2), ago(hours=2, seconds=-60), ago(hours=1)),  # 60 s, in time
        Request("answered", ago(hours=3), ago(hours=3, seconds=-120), ago(hours=3, seconds=-30)),  # 120 s, late
        Request("expired", ago(hours=1), None, ago(minutes=30)),
        Request("open", ago(minutes=5), None, None),
    ]
    out = figures("a_x", requests=requests, message_times=[ago(minutes=1), ago(minutes=2), ago(hours=2),
                                                            ago(hours=30)],
                  open_sessions=1, open_requests=1, last_seen=None, at=at, since=at - timedelta(days=30), hours=4)
    assert (out["requests"], out["answered"], out["expired"]) == (4, 2, 1)
    assert (out["sla_kept"], out["sla_missed"]) == (1, 2)
    assert (out["response_p50"], out["response_p90"]) == (90.0, 114.0)
    assert out["messages_per_hour"] == [0, 1, 0, 2]


async def test_the_activity_endpoints_report_a_scripted_history(asgi_client, agent, owner, sid, relay_state):
    t0 = now() - timedelta(hours=2)
    script = [  # (mid, sender, requires_response, created, status, answered, deadline)
        ("q1", "agent", True, t0, "answered", t0 + timedelta(seconds=30), t0 + timedelta(minutes=5)),
        ("a1", "owner", False, t0 + timedelta(seconds=30), "none", None, None),
        ("q2", "agent", True, t0 + timedelta(minutes=1), "answered", t0 + timedelta(minutes=1, seconds=90), None),
        ("a2", "owner", False, t0 + timedelta(minutes=1, seconds=90), "none", None, None),
        ("q3", "agent", True, t0 + timedelta(minutes=2), "expired", None, t0 + timedelta(minutes=3)),
        ("q4", "agent", True, now(), "open", None, None),
        ("n1", "agent", False, now(), "none", None, None),
    ]

    def write(tx):
        for seq, (mid, sender, rr, created, status, answered, deadline) in enumerate(script, start=1):
            meta = {"type": "decision" if rr else "text", "priority": "normal", "requires_response": rr,
                    "deadline": None if deadline is None else iso(deadline), "reply_to": None}
            tx.insert_message(sid=sid, seq=seq, mid=mid, sender=sender, meta=meta, rank=1, status=status,
                              envelope=relay_util.envelope(sid, sender, mid=mid), body_hash=mid,
                              created_at=iso(created))
            if answered is not None:
                tx.run("UPDATE messages SET answered_at = ? WHERE sid = ? AND mid = ?", (iso(answered), sid, mid))

    await relay_state.store.write(write)
    mine = (await asgi_client.get("/v1/agents/me/activity", headers=agent.headers, params={"hours": 3})).json()
    theirs = (await asgi_client.get(f"/v1/agents/{agent.agent_id}/activity", headers=owner.headers,
                                    params={"hours": 3})).json()
    assert {**mine, "since": None} == {**theirs, "since": None}
    assert (mine["open_sessions"], mine["open_requests"], mine["requests"]) == (1, 1, 4)
    assert (mine["answered"], mine["expired"], mine["sla_kept"], mine["sla_missed"]) == (2, 1, 1, 1)
    assert (mine["response_p50"], mine["response_p90"]) == (60.0, 84.0)
    assert sum(mine["messages_per_hour"]) == 7 and mine["messages_per_hour"][-1] == 2
    assert len(mine["messages_per_hour"]) == 3 and mine["last_seen"] is not None


async def test_activity_is_the_owners_and_the_agents_own_only(asgi_client, agent, owner, relay_state):
    other = await relay_util.pair_agent(asgi_client, owner, "other")
    r = await asgi_client.get(f"/v1/agents/{agent.agent_id}/activity", headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await asgi_client.get("/v1/agents/a_nobody/activity", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await asgi_client.get("/v1/agents/me/activity", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await asgi_client.get("/v1/agents/me/activity", headers=agent.headers, params={"hours": 0})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
