"""Read-only visibility between agents: the reader matrix (read allowed, write refused, answers ignored,
withdrawal locks the reader out of new epochs)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest
from owner_pairing import pair_approved

from hiloop import AsyncHiloopClient, AsyncOwnerClient, CryptoError, Forbidden, wire
from hiloop.crypto import SessionKeyring

pytestmark = pytest.mark.anyio

DECISION = [{"type": "button_group", "buttons": [
    {"label": "Approve", "action": "approve", "variant": "primary"},
    {"label": "Deny", "action": "deny", "variant": "danger"}]}]
TIMELINE = re.compile(r"^/v1/sessions/[^/]+/messages$")


class Injector(httpx.AsyncBaseTransport):
    """The real relay, with forged entries added to the next timeline read (as a lying relay could)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.forged: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and TIMELINE.match(request.url.path) and self.forged and response.status_code == 200:
            data = json.loads(await response.aread())
            data["messages"] = self.forged + data["messages"]
            self.forged = []
            return httpx.Response(200, json=data)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def reader(owner: AsyncOwnerClient) -> AsyncIterator[AsyncHiloopClient]:
    creds = await pair_approved(owner, "reader")
    client = AsyncHiloopClient(api_key=creds.api_key)
    try:
        yield client
    finally:
        await client.aclose()


async def test_a_granted_reader_reads_old_and_new_sessions_in_full(agent, reader, owner):
    before = await agent.create_session("Before the grant")
    await agent.send_message(before.id, [{"type": "text", "text": "history"}])
    await owner.grant_reader(agent.agent_id, reader.agent_id)
    assert await reader.list_readable_sessions() == []
    synced = await agent.sync_readers()
    assert synced.added == [(before.id, reader.agent_id)] and synced.removed == []
    assert (await agent.sync_readers()).added == []  # nothing left to do
    after = await agent.create_session("After the grant")  # granted readers join at creation
    await agent.send_message(after.id, [{"type": "text", "text": "fresh"}])

    readable = await reader.list_readable_sessions()
    assert {(s.id, s.title, s.agent_id) for s in readable} == {
        (before.id, "Before the grant", agent.agent_id), (after.id, "After the grant", agent.agent_id)}
    for sid, text in ((before.id, "history"), (after.id, "fresh")):
        timeline = await reader.get_session_timeline(sid)
        assert [m.content["components"][0]["text"] for m in timeline.messages] == [text]
        assert timeline.skipped == 0 and timeline.messages[0].role == "agent"
    mine = await reader.create_session("Mine")
    listed = await reader.list_sessions(include_readable=True)
    assert {s.id for s in listed} == {mine.id, before.id, after.id}
    assert {s.id for s in await reader.list_sessions()} == {mine.id}


async def test_a_reader_cannot_write_and_what_it_signs_is_never_an_answer(agent, reader, owner):
    await owner.grant_reader(agent.agent_id, reader.agent_id)
    injector = Injector()
    asker = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=injector)
    try:
        session = await asker.create_session("Deploy")
        sent = await asker.send_message(session.id, DECISION)
        with pytest.raises(Forbidden):
            await reader.send_message(session.id, [{"type": "text", "text": "let me in"}])
        # The reader holds the session key, so a lying relay could serve what the reader signs.
        kr = await reader._keyrings.get(session.id)
        env = kr.seal({"v": 1, "type": "response", "request": sent.id, "action": "approve"})
        injector.forged = [_entry(session.id, sent.id, env)]
        votes = await asker.responses(session.id, sent.id, accept_roles=("owner", "guest", "reader"))
        assert votes == [] and injector.forged == []  # served, and not counted even when readers are accepted
        await owner.respond(session.id, sent.id, action="deny")
        answer = await asker.await_response(session.id, sent.id, timeout=10)
        assert (answer.action, answer.responder_role) == ("deny", "owner")
        injector.forged = [{**_entry(session.id, sent.id, env), "seq": 10_001}]
        timeline = await asker.get_session_timeline(session.id)
        assert timeline.skipped == 1 and all(m.role != "reader" for m in timeline.messages)
    finally:
        await asker.aclose()


def _entry(sid: str, request_mid: str, env: dict[str, Any]) -> dict[str, Any]:
    return {"sid": sid, "seq": 10_000, "mid": env["mid"], "from": env["from"],
            "meta": {"type": "response", "priority": "normal", "requires_response": False, "deadline": None,
                     "reply_to": request_mid},
            "status": "none", "created_at": datetime.now(UTC).isoformat(), "envelope": env}


async def test_withdrawal_locks_the_reader_out_of_new_epochs(agent, reader, owner):
    await owner.grant_reader(agent.agent_id, reader.agent_id)
    session = await agent.create_session("Shared for a while")
    await agent.send_message(session.id, [{"type": "text", "text": "epoch 0"}])
    assert len((await reader.get_session_timeline(session.id)).messages) == 1
    old_keyring: SessionKeyring = await reader._keyrings.get(session.id)

    await owner.withdraw_reader(agent.agent_id, reader.agent_id)
    with pytest.raises(Forbidden):
        await reader.get_session_timeline(session.id)
    assert await reader.list_readable_sessions() == []
    synced = await agent.sync_readers()
    assert synced.removed == [(session.id, reader.agent_id)] and synced.added == []
    await agent.send_message(session.id, [{"type": "text", "text": "epoch 1"}])

    view = await owner.open_session(session.id)
    assert view.session.epoch == 1 and [m.content["components"][0]["text"] for m in view.messages] == [
        "epoch 0", "epoch 1"]
    raw = await agent._http.model(wire.Timeline, "GET", f"/v1/sessions/{session.id}/messages")
    newest = raw.messages[-1].envelope.wire()
    assert newest["epoch"] == 1
    with pytest.raises(CryptoError):
        old_keyring.open(newest)  # even served the ciphertext, it holds no key for epoch 1
    info = await agent._keyrings.info(session.id)
    assert f"r_{reader.agent_id}" not in {w.rid for w in info.wraps if w.epoch == 1}
    later = await agent.create_session("After the withdrawal")
    assert f"r_{reader.agent_id}" not in {m.id for m in (await agent._keyrings.info(later.id)).members}


async def test_hiloop_readers_grants_and_withdraws_from_the_terminal(agent, reader, owner, capsys):
    from hiloop.cli import main

    session = await agent.create_session("Shared")
    code = await anyio.to_thread.run_sync(main, ["readers", "grant", agent.agent_id, reader.agent_id])
    assert code == 0 and f"{reader.agent_id} may read {agent.agent_id}'s sessions" in capsys.readouterr().out
    assert (await agent.sync_readers()).added == [(session.id, reader.agent_id)]
    code = await anyio.to_thread.run_sync(main, ["readers", "withdraw", agent.agent_id, reader.agent_id])
    assert code == 0 and "may no longer read" in capsys.readouterr().out
    assert (await agent.sync_readers()).removed == [(session.id, reader.agent_id)]
