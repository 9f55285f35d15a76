"""10,000 concurrent long-poll waiters on one relay process: its memory, and how fast all are woken.

    .venv/bin/python bench/waiters.py            # 10,000 waiters over 100 sessions, prints the table
    .venv/bin/python bench/waiters.py --write    # also updates bench/RESULTS.md (Foundation)

A real relay process (`hiloop relay --port P --db TMP`, SQLite) on 127.0.0.1; both processes get
RLIMIT_NOFILE raised to the hard limit (the relay inherits it). Set-up (not timed): the owner,
`--agents` agents paired over HTTP, `--sessions` sessions spread over them. Then `--waiters`
connections (raw asyncio streams, one long-poll each) each send
`GET /v1/sessions/{sid}/messages?after=<last seq>&wait=60` with the session's agent key, spread
evenly over the sessions (100 sessions → 100 waiters on each: many devices and agents watching the
same busy sessions). Once the relay has gone idle (every request parked: its CPU time stops growing),
its resident memory is read from /proc/<pid>/status (VmRSS), before and with the waiters.

Timed: one message per session is posted at once (pre-sealed envelopes, real crypto, on connections
opened beforehand); the clock runs from the first POST being written until the last of the waiters
has its whole response (200, with the new message) in hand.

Targets (DESIGN §9): ≤ 300 MB resident with 10,000 waiters; all woken within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # nothing written into the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

from hiloop.crypto import new_mid  # noqa: E402
from ingest import Agent, create_session  # noqa: E402

TARGET_RSS_MB = 300.0
TARGET_WAKE_S = 1.0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = c.raise_nofile()
    if soft < args.waiters + args.sessions + 1000:
        raise SystemExit(f"RLIMIT_NOFILE is {soft} (hard {hard}): too low for {args.waiters} waiters")
    with tempfile.TemporaryDirectory(prefix="hiloop-bench-") as tmp:
        relay = c.RelayProcess(Path(tmp), log_level=args.log_level, hiloop_bin=args.hiloop_bin)
        setup_link = relay.start()
        try:
            res = await c.bounded(measure(args, relay, setup_link, Path(tmp)), args.max_seconds, "the benchmark")
            res["nofile"] = soft
            return res
        finally:
            relay.stop()


async def measure(args: argparse.Namespace, relay: c.RelayProcess, setup_link: str, tmp: Path) -> dict[str, Any]:
    t = time.perf_counter()
    n_agents = max(1, min(args.agents, args.sessions))
    world = await c.make_world(relay.url, setup_link, tmp / "home", n_agents)
    await world.owner.aclose()
    setup_conns = [await c.RawConn.open(relay.port) for _ in range(n_agents)]
    sessions: list[Agent] = []
    for i in range(args.sessions):
        sessions.append(await create_session(setup_conns[i % n_agents], world.agents[i % n_agents]))
    for conn in setup_conns:
        await conn.close()
    print(f"set-up: {n_agents} agents, {args.sessions} sessions in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    # One message per session, sealed now; one posting connection per session, opened now.
    posts = []
    for s in sessions:
        env = s.kr.seal({"v": 1, "type": "message", "components": [{"type": "text", "text": "wake up"}]}, new_mid())
        body = json.dumps({"envelope": env, "meta": {"type": "text"}}, separators=(",", ":")).encode()
        posts.append(c.request_bytes("POST", f"/v1/sessions/{s.sid}/messages", token=s.token, body=body))
    post_conns = [await c.RawConn.open(relay.port) for _ in sessions]
    await c.wait_idle(relay)
    before = relay.status()
    fds_before = relay.open_fds()

    # The waiters: connect (bounded concurrency: the listen backlog), send the long-poll, park.
    park_cpu0 = relay.cpu_seconds()
    t = time.perf_counter()
    conns: list[c.RawConn] = []
    gate = asyncio.Semaphore(args.connect_concurrency)

    async def connect(i: int) -> c.RawConn:
        s = sessions[i % len(sessions)]
        async with gate:
            conn = await c.RawConn.open(relay.port)
        conn.send(c.request_bytes("GET", f"/v1/sessions/{s.sid}/messages?after=0&wait=60", token=s.token))
        return conn

    conns = list(await asyncio.gather(*(connect(i) for i in range(args.waiters))))
    sent_at = time.perf_counter() - t
    print(f"{len(conns)} long-polls sent in {sent_at:.1f} s; waiting for the relay to park them", file=sys.stderr)
    done_at: list[float] = [0.0] * len(conns)
    bodies: list[tuple[int, bytes]] = [(0, b"")] * len(conns)

    async def waiter(i: int) -> None:
        bodies[i] = await conns[i].response()
        done_at[i] = time.perf_counter()

    tasks = [asyncio.create_task(waiter(i)) for i in range(len(conns))]
    idle_after = await c.wait_idle(relay, window=0.5, timeout=120)
    parked_at = time.perf_counter() - t
    early = sum(1 for task in tasks if task.done())
    if early:
        sample = next(bodies[i] for i, task in enumerate(tasks) if task.done())
        raise RuntimeError(f"{early} waiters returned before anything was posted, e.g. {sample[0]} {sample[1][:200]!r}")
    parked = relay.status()
    fds_parked = relay.open_fds()
    park_cpu = relay.cpu_seconds() - park_cpu0
    if parked_at > 45:
        raise RuntimeError(f"parking took {parked_at:.0f} s: the first long-polls are near their 60 s hold")

    # Wake them: every session gets one message, all POSTs written at once.
    spy = None
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        spy = relay.profile(args.profile_seconds, Path(args.profile) / "wake.txt")
        await asyncio.sleep(0.3)  # py-spy attaches
    cpu0 = relay.cpu_seconds()
    meter = c.CpuMeter(relay)
    t0 = time.perf_counter()
    for conn, raw in zip(post_conns, posts):
        conn.send(raw)
    post_results = await asyncio.gather(*(conn.response() for conn in post_conns))
    posted = time.perf_counter() - t0
    print(f"parked after {parked_at:.1f} s (RSS {parked['VmRSS'] / 1024:.0f} MiB); {len(posts)} posts answered "
          f"in {posted * 1000:.0f} ms; waking", file=sys.stderr)
    budget = t + 59.0 - time.perf_counter()  # before the first long-polls' 60 s hold runs out
    _, pending = await asyncio.wait(tasks, timeout=max(1.0, budget))
    for task in pending:
        task.cancel()
    wake_cpu = relay.cpu_seconds() - cpu0
    load = meter.describe()
    after = relay.status()
    if spy is not None:
        spy.wait(args.profile_seconds + 30)

    bad_posts = [r for r in post_results if r[0] != 201]
    if bad_posts:
        raise RuntimeError(f"{len(bad_posts)} posts failed, e.g. {bad_posts[0][0]} {bad_posts[0][1][:200]!r}")
    woken: list[float] = []
    errors = 0
    for i, (status, body) in enumerate(bodies):
        if not done_at[i]:
            continue
        if status != 200:
            errors += 1
            if errors <= 3:
                print(f"waiter {i} got {status} {body[:200]!r}", file=sys.stderr)
            continue
        timeline = json.loads(body)
        if timeline["sid"] != sessions[i % len(sessions)].sid:
            raise RuntimeError(f"waiter {i} got another session's timeline: {body[:300]!r}")
        if [m["seq"] for m in timeline["messages"]] == [1]:
            woken.append(done_at[i] - t0)
    woken.sort()
    t_all = woken[-1] if len(woken) == len(conns) else None
    for conn in conns + post_conns:
        conn.writer.close()
    return {
        "before": before, "parked": parked, "after": after, "fds_before": fds_before, "fds_parked": fds_parked,
        "sent_at": sent_at, "parked_at": parked_at, "idle_after": idle_after, "posted": posted,
        "t_all": t_all, "woke": woken, "errors": errors, "budget": budget, "wake_cpu": wake_cpu, "park_cpu": park_cpu, "load": load, "stack": c.server_stack(relay.hiloop_bin),
    }


def report(args: argparse.Namespace, res: dict[str, Any]) -> tuple[str, str]:
    p = c.percentile
    mb = 1024.0
    rss_before = res["before"]["VmRSS"] / mb
    rss_parked = res["parked"]["VmRSS"] / mb
    per_waiter_kb = (res["parked"]["VmRSS"] - res["before"]["VmRSS"]) / args.waiters
    woke = res["woke"]
    rows = [
        ["relay RSS before the waiters (owner, agents, sessions set up)", f"{rss_before:.0f} MiB"],
        [f"relay RSS with {args.waiters:,} waiters parked (VmRSS)", f"{rss_parked:.0f} MiB"],
        ["relay peak RSS over the run (VmHWM)", f"{res['after']['VmHWM'] / mb:.0f} MiB"],
        ["memory per parked waiter", f"{per_waiter_kb:.1f} KiB"],
        ["relay open file descriptors (before → parked)", f"{res['fds_before']} → {res['fds_parked']}"],
        [f"time to connect and send {args.waiters:,} long-polls / until the relay is idle",
         f"{res['sent_at']:.1f} s / {res['parked_at']:.1f} s"],
        ["relay CPU time spent accepting and parking them (per waiter)",
         f"{res['park_cpu']:.1f} s ({res['park_cpu'] / args.waiters * 1e6:.0f} µs)"],
        [f"{args.sessions} POSTs (one per session) all answered", f"{res['posted'] * 1000:.0f} ms"],
        ["first waiter woken (response received)", f"{woke[0] * 1000:.0f} ms" if woke else "none"],
        ["p50 / p90 / p99 waiter woken" + ("" if res["t_all"] is not None else " (of those woken)"),
         f"{p(woke, 50) * 1000:.0f} / {p(woke, 90) * 1000:.0f} / {p(woke, 99) * 1000:.0f} ms" if woke else "-"],
        ["relay CPU time spent waking them (per waiter)",
         f"{res['wake_cpu'] * 1000:.0f} ms ({res['wake_cpu'] / args.waiters * 1e6:.0f} µs)"],
        [f"waiters woken within {TARGET_WAKE_S:g} s", f"{sum(1 for w in woke if w <= TARGET_WAKE_S):,} of {args.waiters:,}"],
        [f"all {args.waiters:,} waiters woken (last response received)",
         f"{res['t_all'] * 1000:.0f} ms" if res["t_all"] is not None
         else f"not within {res['budget']:.0f} s ({len(woke):,} woken, {res['errors']} errors)"],
    ]
    tbl = c.table(["measure", "value"], rows)
    mb_parked = res["parked"]["VmRSS"] * 1024 / 1e6
    if res["t_all"] is not None:
        wake = f"{c.verdict(res['t_all'], TARGET_WAKE_S, unit=' s')} ({res['t_all']:.2f} s)"
    else:
        wake = f"MISSED: only {len(woke):,} of {args.waiters:,} woken within {res['budget']:.0f} s"
    verdicts = (f"target ≤ {TARGET_RSS_MB:g} MB resident: {c.verdict(mb_parked, TARGET_RSS_MB, unit=' MB')}"
                f" ({mb_parked:.0f} MB = {rss_parked:.0f} MiB); target all woken ≤ {TARGET_WAKE_S:g} s: {wake}")
    return tbl, verdicts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--waiters", type=int, default=10_000, help="concurrent long-polls (default 10000)")
    ap.add_argument("--sessions", type=int, default=100, help="sessions the waiters are spread over (default 100)")
    ap.add_argument("--agents", type=int, default=10, help="agents owning the sessions (default 10)")
    ap.add_argument("--connect-concurrency", type=int, default=200, help="connections opened at once (default 200)")
    ap.add_argument("--hiloop-bin", type=Path, default=None,
                    help="the `hiloop` executable that runs the relay (default .venv/bin/hiloop; to compare stacks)")
    ap.add_argument("--log-level", default=None, help="the relay's --log-level (default: the relay's own, info)")
    ap.add_argument("--max-seconds", type=float, default=400.0, help="give up after this long (default 400)")
    ap.add_argument("--profile", default=None, metavar="DIR",
                    help="sample the relay with py-spy while the waiters are woken (collapsed stacks in DIR)")
    ap.add_argument("--profile-seconds", type=float, default=5.0, help="how long to sample (default 5)")
    ap.add_argument("--write", action="store_true", help="update the Foundation section of bench/RESULTS.md")
    args = ap.parse_args()
    res = asyncio.run(run(args))
    tbl, verdicts = report(args, res)
    print(tbl)
    print(verdicts)
    print(f"relay: {res['stack']}; RLIMIT_NOFILE {res['nofile']}; {c.machine_line()}")
    print(f"while waking: {res['load']}")
    if args.write:
        block = "\n".join([
            "### 10,000 long-poll waiters (`bench/waiters.py`)",
            "",
            f"`{c.command_line()}` — a relay process (`hiloop relay --port P --db TMP`, SQLite, default log level "
            f"unless stated); the waiters are raw asyncio connections in the benchmark's process, "
            f"{args.waiters:,} `GET /v1/sessions/{{sid}}/messages?after=0&wait=60` spread evenly over "
            f"{args.sessions} sessions of {min(args.agents, args.sessions)} agents "
            f"({args.waiters // max(1, args.sessions)} waiters per session). Memory read from /proc/<pid>/status once "
            "the relay is idle with every waiter parked; wake-up timed from the first of the "
            f"{args.sessions} POSTs (one per session, written at once) to the last waiter's whole response.",
            "",
            tbl,
            "",
            f"**{verdicts}.**",
            "",
            f"Machine: {c.machine_line()}; {c.code_version()}; relay stack: {res['stack']}; RLIMIT_NOFILE {res['nofile']} for both "
            f"processes; while waking, {res['load']}.",
        ])
        c.write_results("waiters", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
