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
    """Every path open at once, then `calls` rounds in which each path makes each call once, in turn: load
    from elsewhere on the machine falls on all paths alike."""
    from contextlib import AsyncExitStack

    from mcp import Client, StdioServerParameters

    from hiloop.client import AsyncHiloopClient
    from hiloop_mcp import create_server

    async with AsyncExitStack() as stack:
        sdk = await stack.enter_async_context(AsyncHiloopClient(home=home))
        sid = (await sdk.create_session("MCP bench")).id
        arguments = {
            "send_message": {"session_id": sid, "components": TEXT},
            "get_session_timeline": {"session_id": sid, "after": 10**9},
        }
        paths: dict[str, Callable[[str], Awaitable[Any]]] = {}

        async def direct(name: str) -> None:
            if name == "send_message":
                await sdk.send_message(sid, TEXT)
            else:
                await sdk.get_session_timeline(sid, after=10**9)

        def through(client: Client) -> Callable[[str], Awaitable[None]]:
            async def call(name: str) -> None:
                result = await client.call_tool(name, arguments[name])
                assert not result.is_error, result.content
            return call

        paths["SDK, direct"] = direct
        paths["MCP tool, in process"] = through(await stack.enter_async_context(Client(create_server())))
        stdio = StdioServerParameters(command=str(BIN / "hiloop-mcp"), env={"HILOOP_HOME": str(home)})
        paths["MCP tool, stdio"] = through(await stack.enter_async_context(Client(stdio)))
        proc, url = await http_server(env)
        stack.callback(lambda: (proc.terminate(), proc.wait(10)))
        paths["MCP tool, streamable HTTP"] = through(await stack.enter_async_context(Client(url)))

        times: dict[tuple[str, str], list[float]] = {(label, name): [] for label in paths for name in arguments}
        for round_ in range(warmup + calls):
            for name in arguments:
                for label, call in paths.items():
                    start = time.perf_counter()
                    await call(name)
                    if round_ >= warmup:
                        times[(label, name)].append(time.perf_counter() - start)
    return [(label, name, sorted(values)) for (label, name), values in times.items()]


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
        f"A tool call against the same SDK call made directly ({calls} rounds after a warm-up, each path calling "
        "in turn; `send_message` encrypts and stores a one-component message, `get_session_timeline` reads an "
        "empty page):",
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

            startup: list[float] = []
            bare: list[float] = []
            imports: list[float] = []
            for _ in range(args.runs):  # in turn, so load from elsewhere falls on all three alike
                startup.append(time_initialize(env, [str(BIN / "hiloop-mcp")]))
                imports.append(time_python(env, "import hiloop_mcp"))
                bare.append(time_python(env, "pass"))
            startup, bare, imports = sorted(startup), sorted(bare), sorted(imports)
            rows = await overhead(home, env, args.calls, args.warmup)
        finally:
            relay.stop()

    block = report(startup, bare, imports, rows, args.runs, args.calls, (load_before, os.getloadavg()[0]))
    print(block)
    if args.write:
        write_section(block)


if __name__ == "__main__":
    asyncio.run(main())
