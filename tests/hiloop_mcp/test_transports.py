"""The server over each transport and protocol era: stdio (a subprocess), SSE and streamable HTTP.

Without an agent identity, so these check the wiring: the handshake or discovery, the tool list, a
structured error. The same transports with a paired agent are in test_live.py.
"""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from mcp_harness import http_server, stdio_params

pytestmark = pytest.mark.anyio

ERAS = {
    "stateless-2026": ({}, LATEST_MODERN_VERSION),
    "handshake": ({"mode": "legacy"}, LATEST_HANDSHAKE_VERSION),
}
TOOLS = 8


async def _check(client: Client, version: str) -> None:
    assert client.protocol_version == version
    tools = (await client.list_tools()).tools
    assert len(tools) == TOOLS
    result = await client.call_tool("list_sessions", {})
    assert result.is_error
    assert "hiloop agent add NAME --relay" in result.content[0].text  # type: ignore[union-attr]
    bad = await client.call_tool("close_session", {"session_id": "my deploy"})
    assert bad.is_error
    assert "list_sessions" in bad.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize("era", sorted(ERAS))
async def test_stdio_serves_both_protocol_eras(era: str) -> None:
    options, version = ERAS[era]
    async with Client(stdio_params(), **options) as client:
        await _check(client, version)


async def test_the_installed_console_script_serves_stdio() -> None:
    async with Client(stdio_params(console_script=True)) as client:
        await _check(client, LATEST_MODERN_VERSION)


@pytest.mark.parametrize("era", sorted(ERAS))
async def test_streamable_http_serves_both_protocol_eras(era: str) -> None:
    options, version = ERAS[era]
    async with http_server("streamable-http") as base:
        async with Client(f"{base}/mcp", **options) as client:
            await _check(client, version)


@pytest.mark.parametrize("era", sorted(ERAS))
async def test_sse_serves_both_protocol_eras(era: str) -> None:
    options, version = ERAS[era]
    async with http_server("sse") as base:
        async with Client(sse_client(f"{base}/sse"), **options) as client:
            await _check(client, version)
