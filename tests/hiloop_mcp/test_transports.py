"""The server over each transport and protocol era: stdio (a subprocess), SSE and streamable HTTP.

Without an agent identity, so these check the wiring: the handshake or discovery, the tool list, a
structured error. With a paired agent: test_transports_live.py.
"""

from __future__ import annotations

import itertools

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp_types.version import LATEST_HANDSHAKE_VERSION, LATEST_MODERN_VERSION

from mcp_harness import BIN, ERAS, TRANSPORTS, connect, hiloop_env, http_server, stdio_params

pytestmark = pytest.mark.anyio

VERSIONS = {"stateless-2026": LATEST_MODERN_VERSION, "handshake": LATEST_HANDSHAKE_VERSION}
CASES = list(itertools.product(TRANSPORTS, sorted(ERAS)))


async def _check(client: Client, version: str) -> None:
    assert client.protocol_version == version
    tools = (await client.list_tools()).tools
    assert len(tools) == 8
    result = await client.call_tool("list_sessions", {})
    assert result.is_error
    assert "hiloop agent add NAME --relay" in result.content[0].text  # type: ignore[union-attr]
    bad = await client.call_tool("close_session", {"session_id": "my deploy"})
    assert bad.is_error
    assert "list_sessions" in bad.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(("transport", "era"), CASES, ids=[f"{t}-{e}" for t, e in CASES])
async def test_each_transport_serves_both_protocol_eras(transport: str, era: str) -> None:
    async with connect(transport, era) as client:
        await _check(client, VERSIONS[era])


async def test_the_installed_console_script_serves_stdio() -> None:
    async with Client(stdio_params(console_script=True)) as client:
        await _check(client, LATEST_MODERN_VERSION)


async def test_hiloop_mcp_as_a_subcommand_of_hiloop_serves_stdio() -> None:
    params = StdioServerParameters(command=str(BIN / "hiloop"), args=["mcp"], env=hiloop_env())
    async with Client(params, mode="legacy") as client:
        await _check(client, LATEST_HANDSHAKE_VERSION)


@pytest.mark.parametrize(("transport", "path"), [("streamable-http", "/mcp"), ("sse", "/sse")])
async def test_http_transports_refuse_a_foreign_host_header(transport: str, path: str) -> None:
    """DNS-rebinding protection: a page on another origin that resolves to 127.0.0.1 cannot drive the agent."""
    async with http_server(transport) as base, httpx.AsyncClient() as http:
        response = await http.get(f"{base}{path}", headers={"Host": "attacker.example", "Accept": "text/event-stream"})
    assert response.status_code == 421
