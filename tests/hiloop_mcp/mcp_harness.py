"""Running the Hiloop MCP server as a real process (stdio, SSE, streamable HTTP) for the transport tests."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client

BIN = Path(sys.executable).parent
HIDDEN_ENV = ("HILOOP_HOME", "HILOOP_AGENT", "HILOOP_API_KEY", "HILOOP_URL")
_RUNNING = re.compile(rb"Uvicorn running on (http://\S+?:\d+)")


def hiloop_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The HILOOP_* variables of this test (its temporary HILOOP_HOME), for a server process."""
    env = {k: os.environ[k] for k in HIDDEN_ENV if k in os.environ}
    env.update(extra or {})
    return env


def stdio_params(*args: str, console_script: bool = False) -> StdioServerParameters:
    """Start the server on stdio: through the installed `hiloop-mcp` script, or `python -m hiloop_mcp`."""
    if console_script:
        return StdioServerParameters(command=str(BIN / "hiloop-mcp"), args=list(args), env=hiloop_env())
    return StdioServerParameters(command=sys.executable, args=["-m", "hiloop_mcp", *args], env=hiloop_env())


@asynccontextmanager
async def http_server(transport: str, *extra: str) -> AsyncIterator[str]:
    """`hiloop-mcp --transport sse|streamable-http --port 0` in a subprocess; yields its base URL once it listens."""
    command = [sys.executable, "-m", "hiloop_mcp", "--transport", transport, "--port", "0", "--log-level", "INFO", *extra]
    env = {**os.environ, **hiloop_env(), "PYTHONUNBUFFERED": "1"}
    process: Process = await anyio.open_process(command, env=env)
    assert process.stderr is not None
    try:
        async with anyio.create_task_group() as tg:
            found = anyio.Event()
            url: list[str] = []

            async def read_stderr() -> None:
                buffer = b""
                assert process.stderr is not None
                async for chunk in process.stderr:  # drained until the process ends, so it never blocks
                    if not url:
                        buffer += chunk
                        if m := _RUNNING.search(buffer):
                            url.append(m.group(1).decode())
                            found.set()
                if not found.is_set():
                    raise AssertionError(f"hiloop-mcp exited before listening: {buffer.decode(errors='replace')}")

            tg.start_soon(read_stderr)
            with anyio.fail_after(30):
                await found.wait()
            try:
                yield url[0]
            finally:
                process.terminate()
                with anyio.fail_after(10):
                    await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


ERAS: dict[str, dict[str, str]] = {"stateless-2026": {}, "handshake": {"mode": "legacy"}}
TRANSPORTS = ("stdio", "sse", "streamable-http")


@asynccontextmanager
async def connect(transport: str, era: str) -> AsyncIterator[Client]:
    """An MCP client connected to a `hiloop-mcp` process over `transport`, negotiating `era`."""
    options: dict[str, Any] = dict(ERAS[era])
    if transport == "stdio":
        async with Client(stdio_params(), **options) as client:
            yield client
    elif transport == "sse":
        async with http_server("sse") as base, Client(sse_client(f"{base}/sse"), **options) as client:
            yield client
    else:
        async with http_server("streamable-http") as base, Client(f"{base}/mcp", **options) as client:
            yield client
