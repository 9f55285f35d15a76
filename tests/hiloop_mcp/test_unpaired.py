"""With no agent identity stored, the server still starts, lists its tools, and every tool says how to pair."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from hiloop_mcp import ServerOptions, create_server

pytestmark = pytest.mark.anyio

TOOL_NAMES = {
    "create_session", "send_message", "ask", "await_response", "get_session_timeline", "list_sessions",
    "create_guest_token", "close_session",
}
BUTTONS = {"type": "button_group", "buttons": [{"label": "Yes", "action": "yes"}]}
GOOD_ARGUMENTS: dict[str, dict[str, Any]] = {
    "create_session": {"title": "Deploy v2.4.1"},
    "send_message": {"session_id": "s_Ab12Cd34Ef56", "components": [{"type": "text", "text": "Deployed."}]},
    "ask": {"title": "Deploy?", "components": [BUTTONS], "timeout": 5},
    "await_response": {"session_id": "s_Ab12Cd34Ef56", "message_id": "Ab12Cd34Ef56Gh78Ij90Kl"},
    "get_session_timeline": {"session_id": "s_Ab12Cd34Ef56"},
    "list_sessions": {},
    "create_guest_token": {"session_id": "s_Ab12Cd34Ef56"},
    "close_session": {"session_id": "s_Ab12Cd34Ef56"},
}


async def test_the_server_lists_every_tool_with_a_description_and_an_output_schema() -> None:
    async with Client(create_server()) as client:
        tools = (await client.list_tools()).tools
        assert client.instructions is not None and "list_sessions" in client.instructions
    assert {t.name for t in tools} == TOOL_NAMES
    for tool in tools:
        assert tool.description and len(tool.description) > 80
        assert tool.output_schema is not None
        assert tool.title


async def test_component_arguments_carry_the_component_schema() -> None:
    async with Client(create_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("send_message", "ask"):
        schema = tools[name].input_schema
        assert {"KV", "ButtonGroup", "QA", "Tabs", "Wizard"} <= set(schema["$defs"])
        assert "discriminator" in schema["properties"]["components"]["items"]


@pytest.mark.parametrize("tool", sorted(GOOD_ARGUMENTS))
async def test_every_tool_tells_how_to_pair_when_no_agent_is_stored(tool: str) -> None:
    async with Client(create_server()) as client:
        result = await client.call_tool(tool, GOOD_ARGUMENTS[tool])
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    assert "hiloop agent add NAME --relay" in message
    assert "no agent is paired" in message
    assert result.structured_content is None


async def test_a_broken_agent_file_is_reported_with_its_path(hiloop_env: Any) -> None:
    agents = hiloop_env / "agents"
    agents.mkdir()
    (agents / "bot.json").write_text("{not json")
    async with Client(create_server(ServerOptions())) as client:
        result = await client.call_tool("list_sessions", {})
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    assert "bot.json" in message
    assert "hiloop agent add" in message
