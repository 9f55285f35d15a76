"""Forged approvals are rejected by the asking client (DESIGN §10).

The relay is played by a proxy transport in front of the real relay: it adds messages, members and
wraps to what the agent reads, as a malicious relay could. The forger even knows the session key
(the strongest case), so only the signatures and the pinned keys stand in its way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import anyio
import httpx
import pytest

from hiloop import AsyncHiloopClient, AsyncOwnerClient, ResponseTimeout
from hiloop.crypto import (
    Identity,
    canonical_json,
    guest_identity,
    new_mid,
    seal,
    sign_member,
    wrap_key,
)
from hiloop.crypto import (
    SessionKeyring as Keyring,
)

pytestmark = pytest.mark.anyio

DECISION = [{"type": "button_group", "buttons": [
    {"label": "Approve", "action": "approve", "variant": "primary"},
    {"label": "Deny", "action": "deny", "variant": "danger"},
]}]
TIMELINE = re.compile(r"^/v1/sessions/[^/]+/messages$")
SESSION = re.compile(r"^/v1/sessions/[^/]+$")


class MaliciousRelay(httpx.AsyncBaseTransport):
    """Forwards to the real relay, then adds forged messages to timelines and rewrites sessions."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.forged_messages: list[dict[str, Any]] = []
        self.rewrite_session: Callable[[dict[str, Any]], None] | None = None
        self.rewrite_timeline: Callable[[dict[str, Any]], None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        path = request.url.path
        if request.method != "GET" or response.status_code != 200:
            return response
        if TIMELINE.match(path) and (self.forged_messages or self.rewrite_timeline):
            data = json.loads(await response.aread())
            data["messages"] = self.forged_messages + data["messages"]
            self.forged_messages = []
            if self.rewrite_timeline is not None:
                self.rewrite_timeline(data)
            return httpx.Response(200, json=data)
        if SESSION.match(path) and self.rewrite_session is not None:
            data = json.loads(await response.aread())
            self.rewrite_session(data)
            return httpx.Response(200, json=data)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def forged(sid: str, request_mid: str, envelope: dict[str, Any], seq: int = 10_000) -> dict[str, Any]:
    """A timeline entry as the relay would serve it."""
    return {
        "sid": sid, "seq": seq, "mid": envelope["mid"], "from": envelope["from"],
        "meta": {"type": "response", "priority": "normal", "requires_response": False, "deadline": None,
                 "reply_to": request_mid},
        "status": "none", "created_at": datetime.now(timezone.utc).isoformat(), "envelope": envelope,
    }


def approval(sid: str, request_mid: str, *, signer: Identity, sender: str, key: bytes, epoch: int = 0) -> dict[str, Any]:
    payload = {"v": 1, "type": "response", "request": request_mid, "action": "approve"}
    return seal(signer, sid=sid, epoch=epoch, mid=new_mid(), sender=sender, session_key=key,
                plaintext=canonical_json(payload))


def agent_identity(agent: AsyncHiloopClient) -> Identity:
    return agent._identity


def session_key(agent: AsyncHiloopClient, sid: str) -> bytes:
    kr = agent._keyrings.cached(sid)
    assert kr is not None
    return kr.session_key(0)


@pytest.fixture
async def relay_in_the_middle(agent: AsyncHiloopClient) -> Any:
    proxy = MaliciousRelay()
    client = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy)
    try:
        yield client, proxy
    finally:
        await client.aclose()


async def answer_and_wait(
    client: AsyncHiloopClient, owner: AsyncOwnerClient, sid: str, mid: str, **kwargs: Any
) -> Any:
    """The real owner denies once the client is waiting; return what the client accepted."""
    result: list[Any] = []
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            async def wait() -> None:
                result.append(await client.await_response(sid, mid, timeout=20, **kwargs))

            tg.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            await owner.respond(sid, mid, action="deny")
    return result[0]


async def test_an_approval_signed_by_an_unknown_key_as_the_owner_is_ignored(
    relay_in_the_middle: Any, owner: AsyncOwnerClient
) -> None:
    client, proxy = relay_in_the_middle
    session = await client.create_session("Forgery")
    sent = await client.send_message(session.id, DECISION)
    env = approval(session.id, sent.id, signer=Identity.generate(), sender="owner", key=session_key(client, session.id))
    proxy.forged_messages = [forged(session.id, sent.id, env)]
    response = await answer_and_wait(client, owner, session.id, sent.id)
    assert proxy.forged_messages == []  # the forgery was served
    assert (response.action, response.responder_role) == ("deny", "owner")
    proxy.forged_messages = [forged(session.id, sent.id, env)]
    timeline = await client.get_session_timeline(session.id)
    assert timeline.skipped == 1
    assert [m.content.get("action") for m in timeline.messages] == [None, "deny"]


async def test_an_approval_from_a_member_the_relay_made_up_is_ignored(
    relay_in_the_middle: Any, owner: AsyncOwnerClient
) -> None:
    client, proxy = relay_in_the_middle
    session = await client.create_session("Made-up owner")
    sent = await client.send_message(session.id, DECISION)
    fake = Identity.generate()
    sk = session_key(client, session.id)
    cert = sign_member(fake, sid=session.id, member_id="owner2", role="owner", keys=fake.public(), by="owner2")
    wrap = wrap_key(fake, by="owner2", sid=session.id, epoch=0, rid="owner2", recipient_x25519=fake.x25519_pub,
                    session_key=sk)

    def add_member(data: dict[str, Any]) -> None:
        data["members"].append(cert)
        data["wraps"].append(wrap)

    proxy.rewrite_session = add_member
    proxy.forged_messages = [forged(session.id, sent.id, approval(session.id, sent.id, signer=fake, sender="owner2", key=sk))]
    response = await answer_and_wait(client, owner, session.id, sent.id)
    assert proxy.forged_messages == []
    assert (response.action, response.responder_id) == ("deny", "owner")


async def test_an_approval_by_a_guest_counts_only_when_guests_are_accepted(
    relay_in_the_middle: Any, owner: AsyncOwnerClient
) -> None:
    client, proxy = relay_in_the_middle
    session = await client.create_session("Poll")
    sent = await client.send_message(session.id, DECISION)
    sk = session_key(client, session.id)
    guest = guest_identity(b"g" * 32, session.id)
    root = agent_identity(client)
    cert = sign_member(root, sid=session.id, member_id="g_guest", role="guest", keys=guest.public(), by="agent")
    wrap = wrap_key(root, by="agent", sid=session.id, epoch=0, rid="g_guest", recipient_x25519=guest.x25519_pub,
                    session_key=sk)

    def add_guest(data: dict[str, Any]) -> None:
        data["members"].append(cert)
        data["wraps"].append(wrap)

    proxy.rewrite_session = add_guest
    by_guest = forged(session.id, sent.id, approval(session.id, sent.id, signer=guest, sender="g_guest", key=sk))
    proxy.forged_messages = [by_guest]
    response = await answer_and_wait(client, owner, session.id, sent.id)
    assert (response.action, response.responder_role) == ("deny", "owner")  # the guest's approval did not count

    proxy.forged_messages = [by_guest]
    polled = await client.await_response(session.id, sent.id, timeout=5, accept_roles=("owner", "guest"))
    assert (polled.action, polled.responder_role, polled.responder_id) == ("approve", "guest", "g_guest")


async def test_a_relay_that_swaps_the_owners_key_cannot_approve(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Swapped key")
    sent = await agent.send_message(session.id, DECISION)
    sk = session_key(agent, session.id)
    attacker = Identity.generate()

    def swap_owner_key(data: dict[str, Any]) -> None:
        for cert in data["members"]:
            if cert["id"] == "owner":
                cert.update(attacker.public().to_wire())

    proxy = MaliciousRelay()
    proxy.rewrite_session = swap_owner_key
    proxy.forged_messages = [forged(session.id, sent.id, approval(session.id, sent.id, signer=attacker, sender="owner", key=sk))]
    fresh = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy)  # nothing cached: reads the swapped key
    try:
        with pytest.raises(ResponseTimeout):
            await fresh.await_response(session.id, sent.id, timeout=1)
    finally:
        await fresh.aclose()
    # the agent that created the session keeps the keys it signed: the same forgery is ignored there too
    proxy2 = MaliciousRelay()
    proxy2.rewrite_session = swap_owner_key
    cached = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy2)
    cached._keyrings.put(session.id, agent._keyrings.cached(session.id))  # type: ignore[arg-type]
    proxy2.forged_messages = [forged(session.id, sent.id, approval(session.id, sent.id, signer=attacker, sender="owner", key=sk))]
    try:
        response = await answer_and_wait(cached, owner, session.id, sent.id)
    finally:
        await cached.aclose()
    assert (response.action, response.responder_role) == ("deny", "owner")


async def test_a_relay_that_swaps_a_wrap_for_a_key_it_chose_cannot_approve(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Swapped wrap")
    sent = await agent.send_message(session.id, DECISION)
    attacker = Identity.generate()
    chosen = b"k" * 32
    real = Keyring(session.id, root_ed25519=agent_identity(agent).ed25519_pub, me=agent_identity(agent), my_id="agent")

    def swap_wrap(data: dict[str, Any]) -> None:
        real.load(members=data["members"], wraps=data["wraps"])  # the real data verifies
        for i, w in enumerate(data["wraps"]):
            if w["rid"] == "agent":
                data["wraps"][i] = wrap_key(attacker, by="owner", sid=session.id, epoch=0, rid="agent",
                                            recipient_x25519=agent_identity(agent).x25519_pub, session_key=chosen)

    proxy = MaliciousRelay()
    proxy.rewrite_session = swap_wrap
    proxy.forged_messages = [forged(session.id, sent.id, approval(session.id, sent.id, signer=attacker, sender="owner", key=chosen))]
    fresh = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy)
    try:
        with pytest.raises(ResponseTimeout):
            await fresh.await_response(session.id, sent.id, timeout=1)
    finally:
        await fresh.aclose()
    assert real.members["owner"].role == "owner"


async def test_a_relay_cannot_expire_a_request_into_its_default_action(agent: AsyncHiloopClient) -> None:
    """Another process waits on a request (nothing cached). The relay backdates its deadline, then serves
    another genuine request of the agent, one whose default action is "approve", under its id: neither
    makes the agent act on a default action."""
    session = await agent.create_session("Expiry forgery")
    target = await agent.send_message(session.id, DECISION)  # no deadline, no default action
    decoy = await agent.send_message(session.id, DECISION, deadline=3600, default_action="approve")

    def backdate(data: dict[str, Any]) -> None:
        for m in data["messages"]:
            if m["mid"] == target.id:
                m["meta"]["deadline"] = "2000-01-01T00:00:00Z"

    proxy = MaliciousRelay()
    proxy.rewrite_timeline = backdate
    fresh = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy)
    try:
        with pytest.raises(ResponseTimeout):
            await fresh.await_response(session.id, target.id, timeout=1)
    finally:
        await fresh.aclose()

    envelopes = {m.id: m for m in (await agent.get_session_timeline(session.id)).messages}
    assert set(envelopes) == {target.id, decoy.id}

    def substitute(data: dict[str, Any]) -> None:
        by_mid = {m["mid"]: m for m in data["messages"]}
        if target.id in by_mid and decoy.id in by_mid:
            by_mid[target.id]["envelope"] = by_mid[decoy.id]["envelope"]
            by_mid[target.id]["meta"]["deadline"] = "2000-01-01T00:00:00Z"

    proxy2 = MaliciousRelay()
    proxy2.rewrite_timeline = substitute
    fresh2 = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy2)
    try:
        with pytest.raises(Exception) as caught:
            await fresh2.await_response(session.id, target.id, timeout=1)
    finally:
        await fresh2.aclose()
    assert type(caught.value).__name__ in ("NotFound", "ResponseTimeout")  # never an expired "approve"


async def test_a_relay_cannot_point_a_waiter_without_a_message_id_at_an_old_answered_request(
    agent: AsyncHiloopClient, owner: AsyncOwnerClient
) -> None:
    session = await agent.create_session("Replay")
    old = await agent.send_message(session.id, DECISION)
    await owner.respond(session.id, old.id, action="approve")
    new = await agent.send_message(session.id, DECISION)

    def hide_the_new_request(data: dict[str, Any]) -> None:
        for m in data["messages"]:
            if m["mid"] == new.id:
                m["meta"]["requires_response"] = False
            if m["from"] == "owner":  # the old approval, relabelled so it looks like a request
                m["meta"]["requires_response"] = True
                m["from"] = "agent"

    proxy = MaliciousRelay()
    proxy.rewrite_timeline = hide_the_new_request
    fresh = AsyncHiloopClient(api_key=agent.credentials.api_key, transport=proxy)
    try:
        with pytest.raises(Exception) as caught:
            await fresh.await_response(session.id, timeout=1)
    finally:
        await fresh.aclose()
    # the old request stays the newest one the agent signed as a request: waiting on it would replay
    # its approval, so the relabelled entries must not be taken for requests either
    assert type(caught.value).__name__ in ("NotFound", "ResponseTimeout")
