"""Guest links: created by the agent or the owner, joined by a Python guest that verifies before it reads."""

from __future__ import annotations

import anyio
import pytest

from hiloop import (
    AsyncGuestClient,
    AsyncHiloopClient,
    AsyncOwnerClient,
    ConfigError,
    Conflict,
    CryptoError,
    ResponseTimeout,
    parse_components,
)
from hiloop.crypto import b64u_encode

pytestmark = pytest.mark.anyio

POLL = [{"type": "qa", "questions": [
    {"id": "where", "kind": "single", "prompt": "Lunch where?", "options": ["Pizza", "Sushi"]},
]}]


async def test_a_guest_reads_the_session_and_its_vote_counts_only_in_polls(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Team lunch", is_public=True)
    sent = await agent.send_message(session.id, POLL, type="question")
    link = await agent.create_guest_token(session.id, label="Ana")
    assert link.join_url.startswith(f"{agent.base_url}/join/{link.token}#v=1&g=")
    async with await AsyncGuestClient.from_link(link.join_url) as guest:
        assert (guest.session_id, guest.guest_id, guest.label) == (session.id, link.guest_id, "Ana")
        assert (await guest.session()).title == "Team lunch"
        (request,) = await guest.messages()
        assert parse_components(request.content["components"]) == parse_components(POLL)
        assert request.role == "agent"
        await guest.respond(sent.id, answers={"where": "Sushi"})
    votes = await agent.responses(session.id, sent.id)
    assert [(v.answers, v.responder_role, v.responder_id) for v in votes] == [({"where": "Sushi"}, "guest", link.guest_id)]
    with pytest.raises(ResponseTimeout):
        await agent.await_response(session.id, sent.id, timeout=0.5)  # owners only by default
    polled = await agent.await_response(session.id, sent.id, timeout=5, accept_roles=("owner", "guest"))
    assert polled.answers == {"where": "Sushi"}


async def test_responses_waits_until_enough_votes_have_arrived(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Poll", is_public=True)
    sent = await agent.send_message(session.id, POLL, type="question")
    links = [await agent.create_guest_token(session.id, label=name) for name in ("Ana", "Bo")]

    async def vote(url: str, choice: str) -> None:
        async with await AsyncGuestClient.from_link(url) as guest:
            await guest.respond(sent.id, answers={"where": choice})

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(vote, links[0].join_url, "Pizza")
            tg.start_soon(vote, links[1].join_url, "Sushi")
            votes = await agent.responses(session.id, sent.id, at_least=2, timeout=10)
    assert sorted(v.answers["where"] for v in votes if v.answers) == ["Pizza", "Sushi"]


async def test_a_guest_invited_by_the_owner_verifies_the_owners_signature(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Shared", is_public=True)
    await agent.send_message(session.id, [{"type": "text", "text": "hello guests"}])
    link = await owner.create_guest_link(session.id, "Cy", 600)
    async with await AsyncGuestClient.from_link(link.join_url) as guest:
        (m,) = await guest.messages()
        assert m.content["components"][0]["text"] == "hello guests"


async def test_a_link_with_another_root_key_is_refused_before_anything_is_read(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Pinned", is_public=True)
    link = await agent.create_guest_token(session.id)
    forged = link.join_url.rsplit("&a=", 1)[0] + "&a=" + b64u_encode(b"\x01" * 32)
    with pytest.raises(CryptoError):
        await AsyncGuestClient.from_link(forged)


async def test_a_link_without_its_fragment_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid guest link"):
        AsyncGuestClient("http://relay.test/join/hlg_x")


async def test_a_private_session_has_no_guest_links(agent: AsyncHiloopClient) -> None:
    session = await agent.create_session("Private")
    with pytest.raises(Conflict) as info:
        await agent.create_guest_token(session.id)
    assert info.value.code == "session_not_public"
