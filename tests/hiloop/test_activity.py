"""Activity figures as the SDK, the owner and `hiloop agents` show them."""

from __future__ import annotations

import json

import anyio
import pytest

from hiloop import AsyncHiloopClient, AsyncOwnerClient
from hiloop.cli import main
from hiloop.cli._agent import activity_line
from hiloop.models import Activity

pytestmark = pytest.mark.anyio

DECISION = [{"type": "button_group", "buttons": [
    {"label": "Approve", "action": "approve", "variant": "primary"},
    {"label": "Deny", "action": "deny", "variant": "danger"}]}]


async def test_the_agent_and_its_owner_see_the_same_figures(agent: AsyncHiloopClient, owner: AsyncOwnerClient):
    session = await agent.create_session("Work")
    answered = await agent.send_message(session.id, DECISION, deadline=600)
    await agent.send_message(session.id, DECISION)  # stays open
    await agent.send_message(session.id, [{"type": "text", "text": "fyi"}])
    await owner.respond(session.id, answered.id, action="approve")
    mine = await agent.activity()
    theirs = await owner.activity(agent.agent_id)
    assert mine.model_dump(exclude={"since"}) == theirs.model_dump(exclude={"since"})
    assert (mine.open_sessions, mine.open_requests, mine.requests, mine.answered) == (1, 1, 2, 1)
    assert (mine.sla_kept, mine.sla_missed) == (1, 0)
    assert mine.response_p50 is not None and mine.response_p50 >= 0
    assert sum(mine.messages_per_hour) == 4 and len(mine.messages_per_hour) == 24
    assert mine.last_seen is not None


async def test_hiloop_agents_shows_activity(agent: AsyncHiloopClient, owner: AsyncOwnerClient,
                                            capsys: pytest.CaptureFixture[str]):
    session = await agent.create_session("Work")
    await agent.send_message(session.id, DECISION)
    code = await anyio.to_thread.run_sync(main, ["agents"])
    out = capsys.readouterr().out
    assert code == 0 and "open 1 · answers p50 – p90 – · SLA 0 kept 0 missed · 24h" in out
    code = await anyio.to_thread.run_sync(main, ["agents", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert [a["activity"]["open_requests"] for a in data["paired"]] == [1]


def test_the_activity_line_draws_bars_relative_to_the_busiest_hour():
    a = Activity(agent_id="a_1", since="2026-11-01T00:00:00Z", hours=4, open_requests=2, response_p50=12.0,
                 response_p90=600.0, sla_kept=3, sla_missed=1, messages_per_hour=[0, 1, 4, 8])
    assert activity_line(a) == "open 2 · answers p50 12s p90 10m · SLA 3 kept 1 missed · 4h  ▁▄█"
