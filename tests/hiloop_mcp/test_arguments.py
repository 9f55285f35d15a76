"""A model's mistakes come back as tool errors that say how to fix the call, before anything reaches Hiloop."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio

KV_OK = {"type": "kv", "entries": [{"label": "Version", "value": "2.4.1"}]}
BUTTONS = {"type": "button_group", "buttons": [{"label": "Deploy", "action": "deploy"}, {"label": "Stop", "action": "stop"}]}
SID = "s_Ab12Cd34Ef56"

CASES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("a kv entry without its value", "send_message",
     {"session_id": SID, "components": [{"type": "kv", "entries": [{"label": "Version"}]}]},
     ["components[0].entries[0].value: Field required"]),
    ("an unknown component type", "send_message",
     {"session_id": SID, "components": [KV_OK, {"type": "slider"}]},
     ["components[1].type", "unknown component type 'slider'", "button_group"]),
    ("a component without a type", "send_message",
     {"session_id": SID, "components": [{"text": "hello"}]},
     ["components[0].type: Field required"]),
    ("a bad field deep inside tabs", "send_message",
     {"session_id": SID, "components": [{"type": "tabs", "tabs": [{"label": "A", "children": [{"type": "text"}]}]}]},
     ["components[0].tabs[0].children[0].text: Field required"]),
    ("a button without an action", "ask",
     {"session_id": SID, "components": [{"type": "button_group", "buttons": [{"label": "OK"}]}]},
     ["components[0].buttons[0].action: Field required"]),
    ("a table row narrower than its headers", "send_message",
     {"session_id": SID, "components": [{"type": "table", "headers": ["a", "b"], "rows": [["1"]]}]},
     ["components[0].rows", "row 0 has 1 cells"]),
    ("no components", "send_message", {"session_id": SID, "components": []}, ["at least one component"]),
    ("components that are not a list", "send_message",
     {"session_id": SID, "components": "deploy now?"}, ["components: expected a list"]),
    ("a title where the session id goes", "send_message",
     {"session_id": "Deploy v2.4.1", "components": [KV_OK]}, ["session id like s_", "list_sessions"]),
    ("a deadline in the past", "send_message",
     {"session_id": SID, "components": [BUTTONS], "deadline": "2001-01-01T00:00:00Z"}, ["in the past", "it is now"]),
    ("a deadline without a timezone", "create_session",
     {"title": "Deploy", "deadline": "2031-01-01T12:00:00"}, ["RFC 3339 time with a timezone"]),
    ("a deadline of a few seconds", "create_session", {"title": "Deploy", "deadline": 3}, ["between 10 and"]),
    ("a deadline that is not a time", "ask",
     {"session_id": SID, "components": [BUTTONS], "deadline": "tomorrow"}, ["seconds from now", "'tomorrow'"]),
    ("a default action without a deadline", "send_message",
     {"session_id": SID, "components": [BUTTONS], "default_action": "stop"}, ["needs a deadline"]),
    ("a default action no button offers", "ask",
     {"session_id": SID, "components": [BUTTONS], "deadline": 600, "default_action": "rollback"},
     ["'rollback' is not one of", "'deploy', 'stop'"]),
    ("ask with nothing to answer", "ask",
     {"session_id": SID, "components": [KV_OK]}, ["needs something to answer", "send_message"]),
    ("ask with neither a session nor a title", "ask", {"components": [BUTTONS]}, ["session_id", "title"]),
    ("a sentence where the message id goes", "await_response",
     {"session_id": SID, "message_id": "the deploy question"}, ["message_id returned by send_message"]),
    ("a zero timeout", "await_response",
     {"session_id": SID, "message_id": "abc", "timeout": 0}, ["timeout", "greater than or equal to 1"]),
    ("an unknown priority", "create_session",
     {"title": "Deploy", "priority": "asap"}, ["priority", "'low', 'normal', 'high' or 'urgent'"]),
    ("a guest link for ten seconds", "create_guest_token",
     {"session_id": SID, "expiry": 10}, ["expiry", "greater than or equal to 60"]),
    ("an unknown session filter", "list_sessions", {"status": "pending"}, ["status", "'open', 'closed' or 'all'"]),
    ("an empty title", "create_session", {"title": ""}, ["title", "at least 1 character"]),
    ("a missing session id", "close_session", {}, ["session_id", "Field required"]),
]


@pytest.mark.parametrize(("tool", "arguments", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_mistake_comes_back_as_an_error_that_says_how_to_fix_it(
    unpaired_server: Any, no_identity: Any, tool: str, arguments: dict[str, Any], expected: list[str]
) -> None:
    async with Client(unpaired_server) as client:
        opened_at_start = no_identity.calls
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    for part in expected:
        assert part in message
    assert no_identity.calls == opened_at_start  # rejected before the SDK client was asked for


async def test_an_unknown_tool_is_an_error_naming_it(unpaired_server: Any) -> None:
    async with Client(unpaired_server) as client:
        result = await client.call_tool("approve", {})
    assert result.is_error
    assert "approve" in result.content[0].text  # type: ignore[union-attr]


async def test_components_sent_as_a_json_string_are_accepted(unpaired_server: Any, no_identity: Any) -> None:
    """Some clients send list arguments as JSON text; they pass validation and reach the SDK."""
    async with Client(unpaired_server) as client:
        before = no_identity.calls
        result = await client.call_tool(
            "send_message", {"session_id": SID, "components": '[{"type": "text", "text": "Deployed."}]'}
        )
    assert result.is_error
    assert "hiloop agent add" in result.content[0].text  # type: ignore[union-attr]
    assert no_identity.calls == before + 1


async def test_a_deadline_in_seconds_given_as_text_is_accepted(unpaired_server: Any, no_identity: Any) -> None:
    async with Client(unpaired_server) as client:
        before = no_identity.calls
        result = await client.call_tool("create_session", {"title": "Deploy", "deadline": "900"})
    assert "hiloop agent add" in result.content[0].text  # type: ignore[union-attr]
    assert no_identity.calls == before + 1
