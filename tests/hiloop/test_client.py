"""The agent client's plumbing: idempotent retries, long-poll timeouts, keyring reloads, the sync facade."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import httpx
import pytest

from hiloop import (
    AsyncGuestClient,
    AsyncHiloopClient,
    AsyncOwnerClient,
    HiloopClient,
    OwnerClient,
    ResponseTimeout,
    TransportError,
)
from hiloop._http import POLL_MARGIN
from hiloop.pairing import pair_agent

pytestmark = pytest.mark.anyio


class LosesReplies(httpx.AsyncBaseTransport):
    """Delivers message sends to the relay but drops the first `n` replies, as a broken connection would."""

    def __init__(self, n: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.to_drop = n
        self.sends: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.sends.append(request.content)
            if self.to_drop:
                self.to_drop -= 1
                await response.aread()
                raise httpx.ReadError("connection reset", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class RecordsTimeouts(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.polls: list[tuple[float, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        wait = request.url.params.get("wait")
        if wait is not None:
            self.polls.append((float(wait), request.extensions["timeout"]["read"]))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_send_whose_reply_is_lost_is_retried_with_the_same_body_and_stored_once(
    agent: AsyncHiloopClient,
) -> None:
    transport = LosesReplies(2)
    client = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=transport)
    try:
        session = await client.create_session("Flaky network")
        sent = await client.send_message(session.id, [{"type": "text", "text": "once"}])
        timeline = await client.get_session_timeline(session.id)
    finally:
        await client.aclose()
    assert len(transport.sends) == 3 and len(set(transport.sends)) == 1  # the same mid and envelope each time
    assert [m.id for m in timeline.messages] == [sent.id]


async def test_a_relay_that_never_answers_gives_a_transport_error(agent: AsyncHiloopClient) -> None:
    transport = LosesReplies(10)
    client = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=transport)
    try:
        session = await client.create_session("Down")
        with pytest.raises(TransportError):
            await client.send_message(session.id, [{"type": "text", "text": "x"}])
    finally:
        await client.aclose()
    assert len(set(transport.sends)) == 1


async def test_the_long_poll_read_timeout_is_longer_than_the_relays_hold(agent: AsyncHiloopClient) -> None:
    transport = RecordsTimeouts()
    client = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=transport, timeout=5)
    try:
        session = await client.create_session("Hold")
        sent = await client.send_message(session.id, [{"type": "button_group", "buttons": [{"label": "Ok", "action": "ok"}]}])
        with pytest.raises(ResponseTimeout):
            await client.await_response(session.id, sent.id, timeout=1.5)
    finally:
        await client.aclose()
    assert transport.polls
    for wait, read in transport.polls:
        assert read >= wait + POLL_MARGIN > 5


async def test_the_timeline_long_poll_returns_when_a_message_arrives(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Instructions")
    await agent.send_message(session.id, [{"type": "text", "text": "working on it"}])
    first = await agent.get_session_timeline(session.id)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            result: list[Any] = []

            async def poll() -> None:
                result.append(await agent.get_session_timeline(session.id, after=first.cursor, wait=30))

            tg.start_soon(poll)
            await anyio.wait_all_tasks_blocked()
            await owner.send_instruction(session.id, "also update the changelog")
    (message,) = result[0].messages
    assert (message.role, message.type, message.content["text"]) == ("owner", "instruction", "also update the changelog")


async def test_a_vote_from_a_guest_the_owner_invited_is_verified_after_a_reload(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Owner's poll", is_public=True)
    sent = await agent.send_message(session.id, [{"type": "qa", "questions": [
        {"id": "ok", "kind": "single", "prompt": "OK?", "options": ["yes", "no"]}]}], type="question")
    assert await agent.responses(session.id, sent.id) == []  # the agent's keyring is cached now
    link = await owner.create_guest_link(session.id, "Eve", 600)  # a member the agent has not seen
    async with await AsyncGuestClient.from_link(link.join_url) as guest:
        await guest.respond(sent.id, answers={"ok": "yes"})
    (vote,) = await agent.responses(session.id, sent.id)
    assert (vote.responder_id, vote.responder_role, vote.answers) == (link.guest_id, "guest", {"ok": "yes"})


def test_the_sync_client_is_a_context_manager_over_the_same_api(live_relay: Any) -> None:
    OwnerClient.setup(live_relay.url, live_relay.setup_token)
    with OwnerClient.load() as owner:
        links: list[str] = []
        shown = threading.Event()
        thread = threading.Thread(target=pair_agent, args=(live_relay.url, "sync"), daemon=True,
                                  kwargs={"on_link": lambda link: (links.append(link), shown.set()), "timeout": 15})
        thread.start()
        assert shown.wait(15)
        owner.approve_pairing(links[0])
        thread.join(15)
        with HiloopClient() as client:
            session = client.create_session("Sync")
            sent = client.send_message(session.id, [{"type": "button_group", "buttons": [{"label": "Ok", "action": "ok"}]}])
            owner.respond(session.id, sent.id, action="ok")
            assert client.await_response(session.id, sent.id, timeout=10).action == "ok"
            assert [s.title for s in client.list_sessions()] == ["Sync"]
        with pytest.raises(RuntimeError, match="closed"):
            client.get_session(session.id)
