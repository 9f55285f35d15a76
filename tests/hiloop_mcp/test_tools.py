"""Every tool against a live relay, with a real agent paired to a real owner (the in-memory MCP client)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from mcp import Client
from owner_pairing import pair_approved

from hiloop.guest import AsyncGuestClient
from hiloop.owner import AsyncOwnerClient
from hiloop_mcp import ServerOptions, create_server

pytestmark = pytest.mark.anyio

KV = {"type": "kv", "entries": [{"label": "Version", "value": "2.4.1"}, {"label": "Tests", "value": "412 passed"}]}
BUTTONS = {
    "type": "button_group",
    "buttons": [{"label": "Deploy", "action": "deploy", "variant": "primary"}, {"label": "Cancel", "action": "cancel"}],
}
FORM = {
    "type": "qa",
    "questions": [
        {"id": "env", "kind": "single", "prompt": "Where?", "options": ["staging", "production"]},
        {"id": "note", "kind": "open", "prompt": "Anything else?", "required": False},
    ],
}


def text_of(result: Any) -> str:
    return result.content[0].text  # type: ignore[no-any-return]


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured output."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def error_of(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return text_of(result)


async def open_request(owner: AsyncOwnerClient, session_id: str) -> str:
    """The id of the open request the owner sees in that session."""
    view = await owner.open_session(session_id)
    open_ids = [m.id for m in view.messages if m.status == "open"]
    assert len(open_ids) == 1
    return open_ids[0]


async def test_create_session_shows_the_title_to_the_owner_and_in_list_sessions(paired: Any) -> None:
    async with Client(create_server()) as client:
        session = await call(client, "create_session", {"title": "Deploy v2.4.1", "priority": "high", "deadline": 3600})
        listed = await call(client, "list_sessions", {})
    assert session["session_id"].startswith("s_")
    assert session["title"] == "Deploy v2.4.1"
    assert session["priority"] == "high"
    assert session["status"] == "open"
    deadline = datetime.fromisoformat(session["deadline"])
    assert timedelta(minutes=55) < deadline - datetime.now(UTC) <= timedelta(hours=1)
    assert [s["title"] for s in listed["sessions"]] == ["Deploy v2.4.1"]
    seen = await paired.owner.sessions()
    assert [(s.id, s.title) for s in seen] == [(session["session_id"], "Deploy v2.4.1")]


async def test_send_message_delivers_components_the_owner_can_read(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Nightly report"}))["session_id"]
        sent = await call(client, "send_message", {"session_id": sid, "components": [KV]})
    assert sent["requires_response"] is False
    assert "Nothing to wait for" in sent["next_step"]
    view = await paired.owner.open_session(sid)
    [message] = [m for m in view.messages if m.id == sent["message_id"]]
    assert message.content["components"] == [KV]
    assert message.role == "agent"


async def test_a_request_is_answered_by_the_owner_and_await_response_returns_the_action(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Deploy"}))["session_id"]
        sent = await call(client, "send_message", {"session_id": sid, "components": [KV, BUTTONS], "priority": "urgent"})
        assert sent["requires_response"] is True
        assert "await_response" in sent["next_step"]
        await paired.owner.respond(sid, sent["message_id"], action="deploy", text="go ahead")
        answer = await call(client, "await_response", {"session_id": sid, "message_id": sent["message_id"], "timeout": 10})
    assert answer["status"] == "answered"
    assert answer["action"] == "deploy"
    assert answer["text"] == "go ahead"
    assert answer["responder_role"] == "owner"


async def test_await_response_without_an_answer_is_a_waiting_result_not_an_error(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Deploy"}))["session_id"]
        sent = await call(client, "send_message", {"session_id": sid, "components": [BUTTONS]})
        result = await client.call_tool("await_response", {"session_id": sid, "message_id": sent["message_id"], "timeout": 1})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["status"] == "waiting"
    assert result.structured_content["action"] is None
    assert result.structured_content["message_id"] == sent["message_id"]


async def test_a_request_past_its_deadline_comes_back_expired_with_its_default_action(paired: Any) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Deploy"}))["session_id"]
        sent = await call(
            client, "send_message", {"session_id": sid, "components": [BUTTONS], "deadline": soon, "default_action": "cancel"}
        )
        answer = await call(client, "await_response", {"session_id": sid, "message_id": sent["message_id"], "timeout": 30})
    assert answer["status"] == "expired"
    assert answer["action"] == "cancel"


async def test_ask_waits_while_reporting_progress_until_the_owner_answers(paired: Any) -> None:
    progress: list[tuple[float, float | None, str | None]] = []
    waiting = anyio.Event()

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))
        waiting.set()

    results: list[Any] = []
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Release"}))["session_id"]

        async def ask() -> None:
            results.append(
                await client.call_tool(
                    "ask",
                    {"session_id": sid, "components": [KV, FORM], "timeout": 60},
                    progress_callback=on_progress,
                )
            )

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                await waiting.wait()
                await paired.owner.respond(sid, await open_request(paired.owner, sid), answers={"env": "staging"})
    [result] = results
    assert not result.is_error, text_of(result)
    assert result.structured_content["status"] == "answered"
    assert result.structured_content["answers"] == {"env": "staging"}
    assert progress[0][1] == 60
    assert "Waiting for an answer" in (progress[0][2] or "")


async def test_ask_without_a_session_opens_one_with_the_title(paired: Any) -> None:
    results: list[Any] = []
    waiting = anyio.Event()

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        waiting.set()

    async with Client(create_server()) as client:

        async def ask() -> None:
            results.append(
                await client.call_tool(
                    "ask", {"title": "Pick a database", "components": [BUTTONS], "timeout": 60}, progress_callback=on_progress
                )
            )

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                await waiting.wait()
                [session] = await paired.owner.sessions()
                assert session.title == "Pick a database"
                await paired.owner.respond(session.id, await open_request(paired.owner, session.id), action="cancel")
    answer = results[0].structured_content
    assert answer["status"] == "answered"
    assert answer["action"] == "cancel"
    assert answer["session_id"] == session.id


async def test_ask_that_times_out_returns_the_ids_to_keep_waiting_with(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Deploy"}))["session_id"]
        answer = await call(client, "ask", {"session_id": sid, "components": [BUTTONS], "timeout": 1})
        assert answer["status"] == "waiting"
        await paired.owner.respond(sid, answer["message_id"], action="deploy")
        later = await call(client, "await_response", {"session_id": sid, "message_id": answer["message_id"]})
    assert later["status"] == "answered"
    assert later["action"] == "deploy"


async def test_the_timeline_is_decrypted_and_resumes_from_its_cursor(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Refactor"}))["session_id"]
        sent = await call(client, "send_message", {"session_id": sid, "components": [BUTTONS]})
        await paired.owner.respond(sid, sent["message_id"], action="deploy")
        await paired.owner.send_instruction(sid, "Also update the changelog.")
        first = await call(client, "get_session_timeline", {"session_id": sid})
        again = await call(client, "get_session_timeline", {"session_id": sid, "after": first["cursor"]})
    kinds = [(m["role"], m["type"]) for m in first["messages"]]
    assert ("agent", "decision") in kinds
    assert ("owner", "response") in kinds
    assert ("owner", "instruction") in kinds
    [instruction] = [m for m in first["messages"] if m["type"] == "instruction"]
    assert instruction["content"]["text"] == "Also update the changelog."
    [response] = [m for m in first["messages"] if m["type"] == "response"]
    assert response["reply_to"] == sent["message_id"]
    assert response["content"]["action"] == "deploy"
    assert again["messages"] == []
    assert again["cursor"] == first["cursor"]


async def test_attachments_in_the_timeline_show_their_size_not_their_bytes(paired: Any) -> None:
    image = {"type": "image", "name": "chart.png", "media_type": "image/png", "data": base64.b64encode(b"\x89PNG" * 300).decode()}
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Charts"}))["session_id"]
        await call(client, "send_message", {"session_id": sid, "components": [{"type": "tabs", "tabs": [
            {"label": "Chart", "children": [image]}]}]})
        timeline = await call(client, "get_session_timeline", {"session_id": sid})
    [message] = timeline["messages"]
    shown = message["content"]["components"][0]["tabs"][0]["children"][0]
    assert shown["data"] == "<1200 bytes, not shown>"
    assert shown["name"] == "chart.png"


async def test_a_guest_link_opens_a_public_session_for_a_guest(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Team lunch", "is_public": True}))["session_id"]
        await call(client, "send_message", {"session_id": sid, "components": [{"type": "text", "text": "Where shall we eat?"}]})
        link = await call(client, "create_guest_token", {"session_id": sid, "label": "Team", "expiry": 600})
    assert link["join_url"].startswith(f"{paired.relay.url}/join/")
    assert "#v=1&g=" in link["join_url"]
    assert link["label"] == "Team"
    async with await AsyncGuestClient.from_link(link["join_url"]) as guest:
        assert guest.session_id == sid
        timeline = await guest.timeline()
    assert any(m.content.get("components") == [{"type": "text", "text": "Where shall we eat?"}] for m in timeline.messages)


async def test_a_guest_answer_counts_only_when_the_agent_accepts_guests(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Team lunch", "is_public": True}))["session_id"]
        sent = await call(client, "send_message", {"session_id": sid, "components": [
            {"type": "button_group", "buttons": [{"label": "Sushi", "action": "sushi"}, {"label": "Pizza", "action": "pizza"}]}
        ]})
        link = await call(client, "create_guest_token", {"session_id": sid, "label": "Sam"})
        async with await AsyncGuestClient.from_link(link["join_url"]) as guest:
            await guest.respond(sent["message_id"], action="pizza")
        owner_only = await call(client, "await_response", {"session_id": sid, "message_id": sent["message_id"], "timeout": 1})
        with_guests = await call(
            client, "await_response", {"session_id": sid, "message_id": sent["message_id"], "from_guests": True}
        )
    assert owner_only["status"] == "waiting"
    assert with_guests["status"] == "answered"
    assert with_guests["action"] == "pizza"
    assert with_guests["responder_role"] == "guest"
    assert with_guests["responder_id"] == link["guest_id"]


async def test_a_guest_link_for_a_private_session_says_to_make_it_public(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Private"}))["session_id"]
        message = await error_of(client, "create_guest_token", {"session_id": sid})
    assert "is_public=true" in message


async def test_a_closed_session_refuses_messages_and_says_to_start_a_new_one(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Done soon"}))["session_id"]
        closed = await call(client, "close_session", {"session_id": sid})
        message = await error_of(client, "send_message", {"session_id": sid, "components": [KV]})
        still_open = await call(client, "list_sessions", {})
        everything = await call(client, "list_sessions", {"status": "all"})
    assert closed["status"] == "closed"
    assert "closed" in message and "create_session" in message
    assert still_open["sessions"] == []
    assert [s["session_id"] for s in everything["sessions"]] == [sid]


@pytest.mark.parametrize("tool", ["send_message", "get_session_timeline", "close_session", "create_guest_token"])
async def test_an_unknown_session_says_how_to_find_one(paired: Any, tool: str) -> None:
    arguments: dict[str, Any] = {"session_id": "s_Nope12345678"}
    if tool == "send_message":
        arguments["components"] = [KV]
    async with Client(create_server()) as client:
        message = await error_of(client, tool, arguments)
    assert "s_Nope12345678" in message
    assert "list_sessions" in message


async def test_an_unknown_message_says_how_to_find_its_id(paired: Any) -> None:
    async with Client(create_server()) as client:
        sid = (await call(client, "create_session", {"title": "Deploy"}))["session_id"]
        message = await error_of(client, "await_response", {"session_id": sid, "message_id": "NoSuchMessage000", "timeout": 2})
    assert "NoSuchMessage000" in message
    assert "get_session_timeline" in message


async def test_pairing_while_the_server_runs_needs_no_restart(live_relay: Any, owner: AsyncOwnerClient) -> None:
    async with Client(create_server(ServerOptions())) as client:
        before = await error_of(client, "list_sessions", {})
        await pair_approved(owner, "late-agent", live_relay.url)
        after = await call(client, "list_sessions", {})
    assert "hiloop agent add" in before
    assert after == {"sessions": []}
