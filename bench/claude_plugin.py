"""The Claude Code plugin's cost: the same scripted 20-tool-call session with and without the plugin.

    .venv/bin/python bench/claude_plugin.py [--runs 5] [--answers 10]

Drives the real, pinned Claude Code CLI ($HILOOP_TOOLS or /opt/hiloop-tools, or PATH) against a local
fake of the Messages API (tests/e2e/fake_anthropic.py), with a real relay process (`hiloop relay`),
an owner and a paired agent. Reports

- wall time of a 20-tool-call `claude -p` session (10 Bash, 10 Read; none needs a permission),
  median of --runs, without the plugin, with it, and with it but its MCP server left out
  (`--strict-mcp-config`), and the ratios (target: with / without <= 1.10);
- CPU per hook event: the streaming hook (scripts/hiloop-stream) run alone, and the daemon's CPU per
  event it encrypted and sent during the sessions;
- owner answer -> tool runs: the owner approves --answers permission requests (Bash commands that
  write `date +%s.%N`), time from the relay storing the answer (its `created_at`) to the command's
  timestamp: p50, p90.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e"), str(REPO / "bench")]

from _common import RelayProcess  # noqa: E402
from claude_harness import PLUGIN_DIR, base_env, find_claude, stop_daemons  # noqa: E402
from fake_anthropic import FakeAnthropic, bash, tool  # noqa: E402
from owner_side import OwnerSide  # noqa: E402

TOOL_CALLS = 20


def session_steps(project: Path) -> list:
    readme = project / "README.md"
    readme.write_text("# bench\n" + "line\n" * 50)
    steps = []
    for i in range(TOOL_CALLS // 2):
        steps.append(bash(f"echo step {i}"))
        steps.append(tool("Read", file_path=str(readme)))
    return steps


def run_claude(claude: str, prompt: str, project: Path, env: dict[str, str], args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([claude, "-p", prompt, "--output-format", "json", "--permission-mode", "default", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"claude failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if result.get("num_turns", 0) < TOOL_CALLS:
        raise RuntimeError(f"the session did not run its tool calls: {done.stdout[-1000:]}")
    return elapsed


def daemon_cpu(root: Path) -> float:
    total = 0.0
    for pid_file in root.rglob("daemon.pid"):
        try:
            stat = Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text()
        except (OSError, ValueError):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def stream_hook_cpu(data_dir: Path, runs: int = 200) -> float:
    """CPU seconds per run of the streaming hook, with a PostToolUse event of a Bash call."""
    event = json.dumps({"session_id": "bench", "hook_event_name": "PostToolUse", "tool_name": "Bash",
                        "tool_input": {"command": "echo hi"}, "tool_response": {"stdout": "hi", "stderr": ""}})
    env = {**os.environ, "CLAUDE_PLUGIN_DATA": str(data_dir), "CLAUDE_CODE_SESSION_ID": "bench"}
    (data_dir / "unpaired").unlink(missing_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = data_dir / "daemon.pid"
    pid_file.write_text(str(os.getpid()))  # "a daemon runs" (this process): the hook starts none
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(runs):
            subprocess.run([str(PLUGIN_DIR / "scripts" / "hiloop-stream")], input=event, text=True, env=env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        pid_file.unlink()
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / runs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--model-latency", type=float, default=0.0,
                        help="seconds the fake model takes per answer (0: instant, the harshest case)")
    args = parser.parse_args()
    claude = find_claude()
    if claude is None:
        raise SystemExit("the Claude Code CLI is not installed: run .ci/install-tools")

    with tempfile.TemporaryDirectory(prefix="hiloop-bench-claude-") as tmp:
        root = Path(tmp)
        relay = RelayProcess(root)
        link = relay.start()
        fake = FakeAnthropic(latency=args.model_latency).start()
        home = root / "home"
        project = root / "project"
        hiloop_home = root / "hiloop-home"
        for d in (home, project, hiloop_home):
            d.mkdir()
        os.environ["HILOOP_HOME"] = str(hiloop_home)
        owner = OwnerSide(relay.url, link.rsplit("/", 1)[1], hiloop_home)
        try:
            owner.pair("claude-code")
            env = {**base_env(home, fake.url), "HILOOP_HOME": str(hiloop_home), "HILOOP_DAEMON_IDLE": "600"}
            steps = session_steps(project)
            configs = {
                "without": [],
                "with": ["--plugin-dir", str(PLUGIN_DIR)],
                "hooks only": ["--plugin-dir", str(PLUGIN_DIR), "--strict-mcp-config"],
            }
            times: dict[str, list[float]] = {name: [] for name in configs}
            n = 0
            for round_ in range(args.runs + 1):  # round 0 warms up (caches, the daemon's start)
                for name, extra in configs.items():
                    n += 1
                    marker = fake.script(f"s{n}", steps)
                    elapsed = run_claude(claude, f"bench {marker}", project, env, extra)
                    if round_:
                        times[name].append(elapsed)
            medians = {name: statistics.median(v) for name, v in times.items()}

            # the daemon's CPU per event sent, over sessions run now that it is warm
            def ends(found: list) -> int:
                return sum(1 for name, _ in found if name == "SessionEnd")

            mirrored = 2 * (args.runs + 1)  # the sessions run so far with the plugin
            owner.wait_until(lambda found: ends(found) == mirrored, 120)
            sent_before = len(owner.events())
            cpu_before = daemon_cpu(home)
            for _ in range(2):
                n += 1
                run_claude(claude, f"bench {fake.script(f's{n}', steps)}", project, env, configs["hooks only"])
            owner.wait_until(lambda found: ends(found) == mirrored + 2, 120)
            daemon_per_event = (daemon_cpu(home) - cpu_before) / (len(owner.events()) - sent_before)

            # owner answer -> tool runs
            stamps = [project / f"ts{i}" for i in range(args.answers)]
            n += 1
            marker = fake.script(f"s{n}", [bash(f"date +%s.%N > {p}") for p in stamps])
            proc = subprocess.Popen([claude, "-p", f"answers {marker}", "--output-format", "json", "--permission-mode",
                                     "default", "--plugin-dir", str(PLUGIN_DIR)], cwd=project,
                                    env={**env, "HILOOP_PERMISSION_TIMEOUT": "120"},
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            order: list[str] = []
            seen: set[str] = set()
            fake.latency = 0.0
            for _ in stamps:
                sid, request = owner.wait_for_request(seen=seen, timeout=60)
                seen.add(request.id)
                order.append(request.id)
                owner.respond(sid, request.id, action="allow")
            proc.communicate(timeout=120)
            stored = {m.content.get("request"): m.created_at.timestamp() for m in owner.messages() if m.type == "response"}
            latencies = [(float(p.read_text().strip()) - stored[mid]) * 1000 for p, mid in zip(stamps, order)]

        finally:
            owner.close()
            stop_daemons(root)
            fake.stop()
            relay.stop()

    with tempfile.TemporaryDirectory(prefix="hiloop-bench-hook-") as tmp:
        hook_cpu = stream_hook_cpu(Path(tmp))
    cpu = re.sub(r"\s+", " ", next((line.split(":", 1)[1] for line in Path("/proc/cpuinfo").read_text().splitlines()
                                    if line.startswith("model name")), "?")).strip()
    print(f"## Claude Code plugin ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {cpu})\n")
    print(f"20-tool-call `claude -p` session, fake model answering in {args.model_latency:g} s, "
          f"median of {args.runs} runs (load average {os.getloadavg()[0]:.1f}):\n")
    print("| configuration | median | ratio | fastest | ratio |")
    print("|---|---|---|---|---|")
    fastest = {name: min(v) for name, v in times.items()}
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} s | {value / medians['without']:.3f} | {fastest[name]:.2f} s | "
              f"{fastest[name] / fastest['without']:.3f} |")
    print(f"\nCPU per hook event: streaming hook {hook_cpu * 1000:.1f} ms; daemon {daemon_per_event * 1000:.1f} ms per event sent")
    print(f"\nOwner answer -> tool runs ({len(latencies)} approvals): p50 {percentile(latencies, 50):.0f} ms, "
          f"p90 {percentile(latencies, 90):.0f} ms")


if __name__ == "__main__":
    main()
