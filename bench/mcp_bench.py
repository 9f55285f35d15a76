"""The MCP server's costs: how long until a stdio server answers `initialize`, and what a tool call adds
over the same SDK call made directly.

    .venv/bin/python bench/mcp_bench.py            # print the figures
    .venv/bin/python bench/mcp_bench.py --write    # and replace the "MCP server" section of bench/RESULTS.md

A real relay process (`hiloop relay`), an owner and one paired agent (made with the SDK) in a temporary
HILOOP_HOME. Startup: `hiloop-mcp` spawned `--runs` times, timed from spawn to the `initialize` answer
(raw JSON-RPC on its pipes, no client library in the way). Overhead: the same call `--calls` times
directly through AsyncHiloopClient, then as an MCP tool in process (the SDK's in-memory client), over
stdio, and over streamable HTTP; the difference of medians is what MCP adds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, RelayProcess, command_line, machine_line, make_world, percentile, table  # noqa: E402

BIN = REPO / ".venv" / "bin"
SECTION = "## MCP server"
TEXT = [{"type": "text", "text": "Build 1842 passed: 412 tests, 0 failures."}]


# --- startup -------------------------------------------------------------------------------------


def time_initialize(env: dict[str, str], command: list[str]) -> float:
    """Seconds from spawning the server to its answer to `initialize`."""
    request = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
    }
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(request) + "\n").encode())
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    answer = json.loads(line)
    assert answer.get("result", {}).get("serverInfo", {}).get("name") == "hiloop", answer
    return elapsed


def time_python(env: dict[str, str], code: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(BIN / "python"), "-c", code], env=env, check=True)
    return time.perf_counter() - start


# --- overhead ------------------------------------------------------------------------------------


async def timed(n: int, call: Callable[[], Awaitable[Any]], warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        out.append(time.perf_counter() - start)
    return sorted(out)


async def http_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [str(BIN / "hiloop-mcp"), "--transport", "streamable-http", "--port", "0", "--log-level", "INFO"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    assert proc.stderr is not None
    seen = b""
    while True:
        line = await asyncio.to_thread(proc.stderr.readline)
        if not line:
            raise RuntimeError(f"hiloop-mcp exited: {seen.decode(errors='replace')}")
        seen += line
        if m := re.search(rb"Uvicorn running on (http://\S+?:\d+)", line):
            # keep draining stderr so the server never blocks on a full pipe
            asyncio.get_running_loop().run_in_executor(None, proc.stderr.read)
            return proc, m.group(1).decode() + "/mcp"


async def overhead(home: Path, env: dict[str, str], calls: int, warmup: int) -> list[tuple[str, str, list[float]]]:
    from mcp import Client, StdioServerParameters

    from hiloop.client import AsyncHiloopClient
    from hiloop_mcp import create_server

    rows: list[tuple[str, str, list[float]]] = []
    async with AsyncHiloopClient(home=home) as sdk:
        sid = (await sdk.create_session("MCP bench")).id
        direct = {
            "send_message": lambda: sdk.send_message(sid, TEXT),
            "get_session_timeline": lambda: sdk.get_session_timeline(sid, after=10**9),
        }
        for name, fn in direct.items():
            rows.append(("SDK, direct", name, await timed(calls, fn, warmup)))

        arguments = {
            "send_message": {"session_id": sid, "components": TEXT},
            "get_session_timeline": {"session_id": sid, "after": 10**9},
        }

        async def through(label: str, client: Client) -> None:
            for name, args in arguments.items():
                async def call(name: str = name, args: dict[str, Any] = args) -> None:
                    result = await client.call_tool(name, args)
                    assert not result.is_error, result.content
                rows.append((label, name, await timed(calls, call, warmup)))

        async with Client(create_server()) as client:
            await through("MCP tool, in process", client)
        stdio = StdioServerParameters(command=str(BIN / "hiloop-mcp"), env={"HILOOP_HOME": str(home)})
        async with Client(stdio) as client:
            await through("MCP tool, stdio", client)
        proc, url = await http_server(env)
        try:
            async with Client(url) as client:
                await through("MCP tool, streamable HTTP", client)
        finally:
            proc.terminate()
            proc.wait(10)
    return rows


# --- report ----------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(startup: list[float], bare: list[float], imports: list[float], rows: list[tuple[str, str, list[float]]],
           runs: int, calls: int, load: tuple[float, float]) -> str:
    base = {name: percentile(v, 50) for label, name, v in rows if label == "SDK, direct"}
    call_rows = []
    for label, name, values in rows:
        p50 = percentile(values, 50)
        extra = "" if label == "SDK, direct" else f"{(p50 - base[name]) * 1000:+.1f}"
        call_rows.append([name, label, ms(p50), ms(percentile(values, 90)), ms(values[-1]), extra])
    lines = [
        SECTION,
        "",
        f"`{command_line()}` — {machine_line()}. A real relay process on loopback (SQLite), one paired agent. "
        f"Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after: other work on the machine inflates "
        "process start-up most.",
        "",
        f"Time until a stdio server answers `initialize` (spawn → answer, {runs} runs; the agent identity is loaded "
        "in the lifespan before the answer):",
        "",
        table(
            ["what", "median ms", "min ms", "max ms"],
            [
                ["`hiloop-mcp` answers initialize", ms(percentile(startup, 50)), ms(startup[0]), ms(startup[-1])],
                ["`python -c 'import hiloop_mcp'`", ms(percentile(imports, 50)), ms(imports[0]), ms(imports[-1])],
                ["`python -c pass` (the floor)", ms(percentile(bare, 50)), ms(bare[0]), ms(bare[-1])],
            ],
        ),
        "",
        f"A tool call against the same SDK call made directly ({calls} calls each after a warm-up; "
        "`send_message` encrypts and stores a one-component message, `get_session_timeline` reads an empty page):",
        "",
        table(["call", "path", "p50 ms", "p90 ms", "max ms", "MCP adds (p50)"], call_rows),
    ]
    return "\n".join(lines)


def write_section(block: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(SECTION)
    if start >= 0:
        m = re.search(r"^## ", text[start + len(SECTION):], flags=re.M)
        end = start + len(SECTION) + m.start() if m else len(text)
        text = text[:start] + block.rstrip() + "\n\n" + text[end:].lstrip()
    else:
        text = text.rstrip() + "\n\n" + block.rstrip() + "\n"
    RESULTS.write_text(text.rstrip() + "\n")
    print(f"updated {RESULTS.relative_to(REPO)} ({SECTION[3:]})")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="server starts to time (default 10)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per path (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first (default 20)")
    parser.add_argument("--write", action="store_true", help="write the figures into bench/RESULTS.md")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hiloop-mcp-bench-") as tmp:
        work = Path(tmp)
        relay = RelayProcess(work)
        link = relay.start()
        try:
            home = work / "home"
            world = await make_world(relay.url, link, home, 1, prefix="mcp-bench")
            await world.owner.aclose()
            os.environ["HILOOP_HOME"] = str(home)
            env = {k: v for k, v in os.environ.items() if not k.startswith("HILOOP_")} | {"HILOOP_HOME": str(home)}

            startup = sorted(time_initialize(env, [str(BIN / "hiloop-mcp")]) for _ in range(args.runs))
            bare = sorted(time_python(env, "pass") for _ in range(args.runs))
            imports = sorted(time_python(env, "import hiloop_mcp") for _ in range(args.runs))
            rows = await overhead(home, env, args.calls, args.warmup)
        finally:
            relay.stop()

    block = report(startup, bare, imports, rows, args.runs, args.calls, (load_before, os.getloadavg()[0]))
    print(block)
    if args.write:
        write_section(block)


if __name__ == "__main__":
    asyncio.run(main())
