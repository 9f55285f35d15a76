"""The whole flow against a live relay: owner set-up, pairing, a session, a decision, the owner's answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest

from hiloop import AsyncHiloopClient, AsyncOwnerClient, InvalidComponent, NotFound, ResponseTimeout
from hiloop.store import load_agent

pytestmark = pytest.mark.anyio

DECISION: list[dict[str, Any]] = [
    {"type": "kv", "entries": [{"label": "version", "value": "2.4.1"}, {"label": "target", "value": "production"}]},
    {"type": "button_group", "buttons": [
        {"label": "Approve", "action": "approve", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]},
]


async def test_pairing_stores_the_agent_with_the_owners_pinned_keys(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    creds = load_agent()
    assert creds.name == "tester"
    assert creds.owner_id == owner.owner_id
    assert creds.api_key.startswith("hlp_")
    listed = await owner.agents()
    assert [(a.name, a.agent_id, a.verified) for a in listed] == [("tester", creds.agent_id, True)]


async def test_an_owners_answer_reaches_the_waiting_agent_as_soon_as_it_is_sent(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Deploy v2.4.1", priority="high")
    sent = await agent.send_message(session.id, DECISION)
    answered = anyio.Event()
    result: list[Any] = []

    async def wait() -> None:
        result.append(await agent.await_response(session.id, sent.id, timeout=30))
        answered.set()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            feed = await owner.feed()
            assert [(i.session.title, i.message.id) for i in feed] == [("Deploy v2.4.1", sent.id)]
            assert feed[0].message.content["components"][1]["buttons"][0]["action"] == "approve"
            await owner.respond(session.id, sent.id, action="approve", text="ship it")
            await answered.wait()
    (response,) = result
    assert (response.action, response.text, response.responder_role, response.expired) == (
        "approve", "ship it", "owner", False
    )
    # the long-poll returned on the answer, well before its 30 s timeout (fail_after(10) above)


async def test_a_session_title_and_timeline_are_decrypted_for_agent_and_owner(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Nightly report")
    await agent.send_message(session.id, [{"type": "text", "text": "All green"}], type="report")
    assert [s.title for s in await agent.list_sessions()] == ["Nightly report"]
    timeline = await agent.get_session_timeline(session.id)
    assert [(m.role, m.type, m.content["components"][0]["text"]) for m in timeline.messages] == [
        ("agent", "report", "All green")
    ]
    view = await owner.open_session(session.id)
    assert view.session.title == "Nightly report"
    assert [m.content["components"][0]["text"] for m in view.messages] == ["All green"]
    closed = await agent.close_session(session.id)
    assert closed.status == "closed"


async def test_an_answer_given_before_the_agent_waits_is_returned_at_once(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Early")
    sent = await agent.send_message(session.id, DECISION)
    await owner.respond(session.id, sent.id, action="deny")
    fresh = AsyncHiloopClient()  # another process: nothing cached about the request
    try:
        with anyio.fail_after(5):
            response = await fresh.await_response(session.id, sent.id, timeout=30)
    finally:
        await fresh.aclose()
    assert response.action == "deny"


async def test_a_passed_deadline_returns_the_default_action_marked_expired(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Deadline")
    sent = await agent.send_message(session.id, DECISION, deadline=timedelta(seconds=1), default_action="deny")
    with anyio.fail_after(10):
        response = await agent.await_response(session.id, sent.id, timeout=30)
    assert (response.expired, response.action, response.responder_role) == (True, "deny", None)


async def test_waiting_without_an_answer_raises_response_timeout(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Nobody home")
    sent = await agent.send_message(session.id, DECISION)
    with pytest.raises(ResponseTimeout):
        await agent.await_response(session.id, sent.id, timeout=0.5)


async def test_waiting_for_a_message_that_does_not_exist_is_not_found(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Empty")
    with pytest.raises(NotFound):
        await agent.await_response(session.id, "AAAAAAAAAAAAAAAAAAAAAA", timeout=5)


async def test_an_invalid_component_is_refused_before_anything_is_sent(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Bad")
    with pytest.raises(InvalidComponent, match=r"components\[1\]\.buttons\[0\]\.action: Field required"):
        await agent.send_message(session.id, [{"type": "text", "text": "x"},
                                              {"type": "button_group", "buttons": [{"label": "Go"}]}])
    assert (await agent.get_session_timeline(session.id)).messages == []


async def test_ask_opens_a_session_sends_and_waits(agent: AsyncHiloopClient, owner: AsyncOwnerClient) -> None:
    form = [{"type": "qa", "questions": [
        {"id": "env", "kind": "single", "prompt": "Where?", "options": ["staging", "production"]},
        {"id": "replicas", "kind": "number", "prompt": "How many?"},
    ]}]

    async def answer() -> None:
        while True:
            feed = await owner.feed()
            if feed:
                item = feed[0]
                await owner.respond(item.session.id, item.message.id, answers={"env": "staging", "replicas": "3"})
                return
            await anyio.wait_all_tasks_blocked()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(answer)
            response = await agent.ask(None, form, title="Scale", timeout=30)
    assert response.answers == {"env": "staging", "replicas": 3}


async def test_waiting_on_a_closed_session_is_a_conflict_not_a_hang(agent: AsyncHiloopClient) -> None:
    from hiloop import Conflict

    session = await agent.create_session("Closing")
    sent = await agent.send_message(session.id, DECISION)
    await agent.close_session(session.id)
    with anyio.fail_after(5), pytest.raises(Conflict) as info:
        await agent.await_response(session.id, sent.id, timeout=60)
    assert info.value.code == "session_closed"
    with pytest.raises(Conflict):
        await agent.send_message(session.id, [{"type": "text", "text": "too late"}])


async def test_await_response_without_a_message_id_waits_for_the_newest_request(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Two questions")
    first = await agent.send_message(session.id, DECISION)
    await agent.send_message(session.id, [{"type": "text", "text": "context, not a request"}])
    second = await agent.send_message(session.id, DECISION)
    await owner.respond(session.id, first.id, action="deny")
    await owner.respond(session.id, second.id, action="approve")
    with anyio.fail_after(5):
        response = await agent.await_response(session.id, timeout=30)
    assert (response.request_id, response.action) == (second.id, "approve")
    fresh = AsyncHiloopClient()  # another process finds the newest request from the timeline
    try:
        with anyio.fail_after(5):
            again = await fresh.await_response(session.id, timeout=30)
    finally:
        await fresh.aclose()
    assert (again.request_id, again.action) == (second.id, "approve")


async def test_await_response_in_a_session_without_requests_is_not_found(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Only a report")
    await agent.send_message(session.id, [{"type": "text", "text": "All green"}], type="report")
    with pytest.raises(NotFound, match="no request"):
        await agent.await_response(session.id, timeout=1)
