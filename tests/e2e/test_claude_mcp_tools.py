"""The Hiloop MCP server driven by the real Claude Code CLI: a scripted model creates a session, sends a
request with buttons and waits for the answer through the MCP tools, while the owner answers it from
a live relay."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fake_anthropic import FINAL_PREFIX, Recorded, ToolCall, tool

from hiloop.models import FeedItem
from hiloop.owner import AsyncOwnerClient

TITLE = "Deploy v2 to production"
BUTTONS = [{"label": "Approve", "action": "approve"}, {"label": "Reject", "action": "reject"}]
TOOLS = ("create_session", "send_message", "await_response")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def mcp_config(path: Path, hiloop_home: Path) -> Path:
    server = {"command": str(Path(sys.executable).parent / "hiloop-mcp"), "args": [],
              "env": {"HILOOP_HOME": str(hiloop_home)}}
    path.write_text(json.dumps({"mcpServers": {"hiloop": server}}))
    return path


def last_result(recorded: Recorded) -> dict[str, Any]:
    """The structured output of the MCP tool whose result the model was just shown."""
    value = json.loads(recorded.tool_results()[-1])
    assert isinstance(value, dict)
    return value


def send_request(recorded: Recorded) -> ToolCall:
    session_id = last_result(recorded)["session_id"]
    components = [{"type": "text", "text": "Ship it?"}, {"type": "button_group", "buttons": BUTTONS}]
    return tool("mcp__hiloop__send_message", session_id=session_id, components=components)


def await_answer(recorded: Recorded) -> ToolCall:
    sent = last_result(recorded)
    return tool("mcp__hiloop__await_response", session_id=sent["session_id"], message_id=sent["message_id"], timeout=60)


async def wait_in_feed(client: AsyncOwnerClient) -> FeedItem:
    """The first open request in the owner's feed, waiting on the relay's event long-poll between looks."""
    cursor = 0
    auth = {"Authorization": f"Bearer {client.credentials.device_token}"}
    async with httpx.AsyncClient(base_url=client.base_url, headers=auth, timeout=30) as http:
        while True:
            items = await client.feed()
            if items:
                return items[0]
            r = await http.get("/v1/events", params={"after": cursor, "wait": 10})
            r.raise_for_status()
            cursor = int(r.json()["cursor"])


@pytest.mark.anyio
async def test_claude_asks_the_owner_through_the_mcp_tools_and_reads_the_approval(claude_env, owner, hiloop_env, tmp_path):
    # `owner` set up the owner and paired an agent in HILOOP_HOME, which the MCP server is given
    fake = claude_env.fake
    marker = fake.script("ask-owner", [tool("mcp__hiloop__create_session", title=TITLE), send_request, await_answer])
    config = mcp_config(tmp_path / "mcp.json", hiloop_env)
    allowed = ",".join(f"mcp__hiloop__{name}" for name in TOOLS)
    proc = claude_env.start_claude(f"ask before deploying {marker}", plugin=False,
                                   args=["--mcp-config", str(config), "--strict-mcp-config", "--allowedTools", allowed])

    async with AsyncOwnerClient.load(home=hiloop_env) as client:
        with anyio.fail_after(60):
            item = await wait_in_feed(client)
        assert item.session.title == TITLE
        buttons = [b for c in item.message.content["components"] if c["type"] == "button_group" for b in c["buttons"]]
        assert [(b["label"], b["action"]) for b in buttons] == [("Approve", "approve"), ("Reject", "reject")]
        await client.respond(item.session.id, item.message.id, action="approve")

    run = await anyio.to_thread.run_sync(claude_env.finish, proc)
    assert run.returncode == 0, run.stderr
    assert run.denied_tools == []
    assert run.result.startswith(FINAL_PREFIX) and '"action":"approve"' in run.result.replace(" ", "")
    created, sent, answer = (json.loads(r) for r in fake.tool_results("ask-owner"))
    assert created["title"] == TITLE and created["session_id"] == item.session.id
    assert sent["message_id"] == item.message.id and sent["requires_response"] is True
    assert answer["status"] == "answered" and answer["action"] == "approve"
    assert answer["session_id"] == item.session.id and answer["message_id"] == item.message.id
