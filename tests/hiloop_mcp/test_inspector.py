"""The MCP Inspector CLI (pinned 2.12.0) lists and calls the tools over stdio and HTTP, in both eras."""

from __future__ import annotations

import os

import anyio
import pytest

from inspector_cli import EXIT_TOOL_ERROR, require_inspector, run_inspector
from mcp_harness import BIN, http_server

pytestmark = pytest.mark.inspector

ERAS = ["legacy", "modern"]


def _stdio_target() -> list[str]:
    return ["-e", f"HILOOP_HOME={os.environ['HILOOP_HOME']}", str(BIN / "hiloop-mcp")]


@pytest.mark.parametrize("era", ERAS)
def test_the_inspector_lists_the_tools_over_stdio_with_portable_schemas(era: str) -> None:
    inspector = require_inspector()
    code, out, err = run_inspector(inspector, "--strict", "--protocol-era", era, *_stdio_target(), "--method", "tools/list")
    assert code == 0, err
    names = {t["name"] for t in out["result"]["tools"]}
    assert {"create_session", "send_message", "ask", "await_response", "get_session_timeline"} <= names
    assert len(names) == 8


@pytest.mark.parametrize("era", ERAS)
def test_the_inspector_sees_a_fixable_error_for_a_bad_component_over_stdio(era: str) -> None:
    inspector = require_inspector()
    code, out, _ = run_inspector(
        inspector, "--protocol-era", era, *_stdio_target(), "--method", "tools/call", "--tool-name", "send_message",
        "--tool-args-json", '{"session_id": "s_Ab12Cd34", "components": [{"type": "kv", "entries": [{"label": "x"}]}]}',
    )
    assert code == EXIT_TOOL_ERROR
    assert out["result"]["isError"] is True
    assert "components[0].entries[0].value: Field required" in out["result"]["content"][0]["text"]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.anyio
async def test_the_inspector_lists_and_calls_the_tools_over_streamable_http(era: str) -> None:
    inspector = require_inspector()
    async with http_server("streamable-http") as base:
        code, out, err = await anyio.to_thread.run_sync(
            lambda: run_inspector(inspector, "--protocol-era", era, f"{base}/mcp", "--method", "tools/list")
        )
        assert code == 0, err
        assert len(out["result"]["tools"]) == 8
        code, out, _ = await anyio.to_thread.run_sync(
            lambda: run_inspector(
                inspector, "--protocol-era", era, f"{base}/mcp", "--method", "tools/call",
                "--tool-name", "list_sessions", "--tool-arg", "status=all",
            )
        )
    assert code == EXIT_TOOL_ERROR
    assert "hiloop agent add NAME --relay" in out["result"]["content"][0]["text"]


@pytest.mark.anyio
async def test_the_inspector_lists_the_tools_over_sse() -> None:
    inspector = require_inspector()
    async with http_server("sse") as base:
        code, out, err = await anyio.to_thread.run_sync(
            lambda: run_inspector(inspector, f"{base}/sse", "--method", "tools/list")
        )
    assert code == 0, err
    assert len(out["result"]["tools"]) == 8



@pytest.mark.parametrize("era", ERAS)
@pytest.mark.anyio
async def test_the_inspector_creates_a_session_for_the_paired_agent_over_stdio(paired: object, era: str) -> None:
    inspector = require_inspector()
    code, out, err = await anyio.to_thread.run_sync(
        lambda: run_inspector(
            inspector, "--protocol-era", era, *_stdio_target(), "--method", "tools/call",
            "--tool-name", "create_session", "--tool-arg", "title=From the Inspector", "--tool-arg", "priority=high",
        )
    )
    assert code == 0, err
    session = out["result"]["structuredContent"]
    assert session["title"] == "From the Inspector"
    assert session["priority"] == "high"
    assert session["session_id"].startswith("s_")


@pytest.mark.anyio
async def test_the_inspector_sends_a_message_over_streamable_http(paired: object) -> None:
    inspector = require_inspector()
    async with http_server("streamable-http") as base:
        code, out, err = await anyio.to_thread.run_sync(
            lambda: run_inspector(
                inspector, "--protocol-era", "modern", f"{base}/mcp", "--method", "tools/call",
                "--tool-name", "create_session", "--tool-arg", "title=Over HTTP",
            )
        )
        assert code == 0, err
        sid = out["result"]["structuredContent"]["session_id"]
        args = '{"session_id": "%s", "components": [{"type": "alert", "level": "success", "text": "Done"}]}' % sid
        code, out, err = await anyio.to_thread.run_sync(
            lambda: run_inspector(
                inspector, "--protocol-era", "legacy", f"{base}/mcp", "--method", "tools/call",
                "--tool-name", "send_message", "--tool-args-json", args,
            )
        )
    assert code == 0, err
    assert out["result"]["structuredContent"]["requires_response"] is False
