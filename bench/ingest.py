"""Ingest: encrypted 1 KiB messages from 50 concurrent agents, against an empty endpoint on the same stack.

    .venv/bin/python bench/ingest.py            # 50 agents, 3 rounds of 10 s windows, prints the table
    .venv/bin/python bench/ingest.py --write    # also updates bench/RESULTS.md (Foundation)

A real relay process (`hiloop relay --port P --db TMP`, SQLite) on 127.0.0.1; this process is the load
generator. Set-up (not timed): the owner, 50 agents paired over HTTP (SDK pairing + owner approval),
one session per agent (created like the SDK does: keyring, member certificates, wraps), and for each
agent a pool of messages sealed beforehand with real crypto (a 1,024-byte `message` plaintext → an
Ed25519-signed AES-256-GCM envelope, ≈1.6 KB of JSON body each, every one with its own `mid`).

Timed: each agent posts its envelopes back to back (`POST /v1/sessions/{sid}/messages`, agent
bearer, 201 expected) on its own keep-alive HTTP/1.1 connection (raw asyncio streams, so the client
costs little): 50 requests in flight at all times, for `--seconds` after a 1 s warm-up. Then 50
fresh connections do `GET /v1/health` (the empty endpoint) the same way for as long. `--rounds`
alternates the two on the same relay; the median round is the figure. Afterwards the sessions'
last seqs must add up to the 201s received. The relay is one process (one core at most for Python
code); the load generator has the other core. CPU columns: the share of one core used by the relay,
by the load generator and by other processes on the machine during each window.

Target (DESIGN §9): ≥ 2,000 msg/s on 2 cores with SQLite, beside the empty endpoint's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # nothing written into the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

from hiloop import wire  # noqa: E402
from hiloop.crypto import SessionKeyring, new_id, new_mid  # noqa: E402

TARGET_MSGS = 2000.0
WARMUP_SECONDS = 1.0


def plaintext(size: int) -> dict[str, Any]:
    """A `message` plaintext whose canonical JSON is exactly `size` bytes."""
    def make(text: str) -> dict[str, Any]:
        return {"v": 1, "type": "message", "components": [{"type": "text", "text": text}]}

    pad = size - len(json.dumps(make(""), separators=(",", ":")).encode())
    return make("x" * max(0, pad))


@dataclass
class Agent:
    token: str
    sid: str
    kr: SessionKeyring
    pool: deque[bytes] = field(default_factory=deque)


@dataclass
class Phase:
    ok: int = 0
    errors: int = 0
    counted: int = 0
    latencies: list[float] = field(default_factory=list)
    window: float = 0.0
    relay_cpu: float = 0.0
    client_cpu: float = 0.0
    others: float = 0.0
    exhausted: bool = False


async def create_session(conn: c.RawConn, creds: Any) -> Agent:
    ident = c.agent_identity(creds)
    sid = new_id("s_")
    kr, members, wraps = SessionKeyring.create(sid, root=ident, owner=c.owner_keys(creds))
    body = wire.SessionCreate(sid=sid, title=wire.Envelope.model_validate(
        kr.seal({"v": 1, "type": "title", "title": f"ingest {creds.name}"}, mid="title-0")),
        members=[wire.MemberCert.model_validate(m) for m in members],
        wraps=[wire.Wrap.model_validate(w) for w in wraps])
    raw = body.model_dump_json(by_alias=True, exclude_none=True).encode()
    status, resp = await conn.request(c.request_bytes("POST", "/v1/sessions", token=creds.api_key, body=raw))
    if status != 201:
        raise RuntimeError(f"creating a session got {status}: {resp[:300]!r}")
    return Agent(token=creds.api_key, sid=sid, kr=kr)


def seal_pool(agent: Agent, count: int, payload: dict[str, Any]) -> None:
    path = f"/v1/sessions/{agent.sid}/messages"
    meta = {"type": "text", "priority": "normal", "requires_response": False}
    for _ in range(count):
        env = agent.kr.seal(payload, new_mid())
        body = json.dumps({"envelope": env, "meta": meta}, separators=(",", ":")).encode()
        agent.pool.append(c.request_bytes("POST", path, token=agent.token, body=body))


async def drive(conns: list[c.RawConn], requests: Sequence[deque[bytes] | bytes], expect: int, seconds: float,
                relay: c.RelayProcess, profile: Path | None = None) -> Phase:
    """Every connection sends its requests back to back; counts completions inside the timed window."""
    phase = Phase()
    start = time.perf_counter()
    t_begin = start + WARMUP_SECONDS
    t_end = t_begin + seconds

    meters: list[c.CpuMeter] = []

    async def marks() -> None:
        await asyncio.sleep(max(0.0, t_begin - time.perf_counter()))
        meter = c.CpuMeter(relay)
        meters.append(meter)
        spy = relay.profile(seconds, profile) if profile is not None else None
        await asyncio.sleep(max(0.0, t_end - time.perf_counter()))
        cores = meter.cores()
        phase.relay_cpu, phase.client_cpu, phase.others = cores["relay"], cores["bench"], cores["others"]
        if spy is not None:
            spy.wait(30)

    async def one(conn: c.RawConn, reqs: deque[bytes] | bytes) -> None:
        while True:
            now = time.perf_counter()
            if now >= t_end:
                return
            if isinstance(reqs, bytes):
                raw = reqs
            else:
                if not reqs:
                    phase.exhausted = True
                    return
                raw = reqs.popleft()
            t0 = time.perf_counter()
            status, body = await conn.request(raw)
            t1 = time.perf_counter()
            if status != expect:
                phase.errors += 1
                if phase.errors <= 3:
                    print(f"unexpected {status}: {body[:200]!r}", file=sys.stderr)
                continue
            phase.ok += 1
            if t_begin <= t1 < t_end:
                phase.counted += 1
                phase.latencies.append((t1 - t0) * 1000)

    mark = asyncio.create_task(marks())
    await asyncio.gather(*(one(conn, reqs) for conn, reqs in zip(conns, requests)))
    end = min(time.perf_counter(), t_end)
    phase.window = max(1e-9, end - t_begin)
    if not mark.done():  # the pool ran out before the window ended
        mark.cancel()
        if meters:
            cores = meters[0].cores()
            phase.relay_cpu, phase.client_cpu, phase.others = cores["relay"], cores["bench"], cores["others"]
    phase.latencies.sort()
    return phase


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hiloop-bench-") as tmp:
        relay = c.RelayProcess(Path(tmp), log_level=args.log_level, hiloop_bin=args.hiloop_bin)
        setup_link = relay.start()
        try:
            return await c.bounded(measure(args, relay, setup_link, Path(tmp)), args.max_seconds, "the benchmark")
        finally:
            relay.stop()


async def measure(args: argparse.Namespace, relay: c.RelayProcess, setup_link: str, tmp: Path) -> dict[str, Any]:
    t = time.perf_counter()
    world = await c.make_world(relay.url, setup_link, tmp / "home", args.agents)
    await world.owner.aclose()
    setup = await c.RawConn.open(relay.port)
    try:
        agents = [await create_session(setup, creds) for creds in world.agents]
    finally:
        await setup.close()
    print(f"set-up: owner, {args.agents} agents paired, {args.agents} sessions in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    t = time.perf_counter()
    payload = plaintext(args.size)
    if args.pool is None:  # enough for 2,200 msg/s in every window
        args.pool = int(args.rounds * (args.seconds + WARMUP_SECONDS) * 2200 / args.agents) + 20
    for a in agents:
        seal_pool(a, args.pool, payload)
    body_len = len(agents[0].pool[0].split(b"\r\n\r\n", 1)[1])
    print(f"sealed {args.pool * len(agents)} envelopes in {time.perf_counter() - t:.1f} s "
          f"(request body {body_len} bytes)", file=sys.stderr)
    prof = Path(args.profile) if args.profile else None
    if prof is not None:
        prof.mkdir(parents=True, exist_ok=True)

    async def phase(requests: Sequence[deque[bytes] | bytes], expect: int, name: str) -> Phase:
        # fresh connections per phase: the relay closes keep-alive connections idle for 5 s
        await c.wait_idle(relay)
        conns = [await c.RawConn.open(relay.port) for _ in range(args.agents)]
        try:
            return await drive(conns, requests, expect, args.seconds, relay, prof / f"{name}.txt" if prof else None)
        finally:
            for conn in conns:
                await conn.close()

    ingest: list[Phase] = []
    health: list[Phase] = []
    for r in range(args.rounds):
        ingest.append(await phase([a.pool for a in agents], 201, f"ingest{r + 1}"))
        health.append(await phase([c.request_bytes("GET", "/v1/health")] * args.agents, 200, f"health{r + 1}"))
        print(f"round {r + 1}: {ingest[-1].counted / ingest[-1].window:,.0f} msg/s, "
              f"{health[-1].counted / health[-1].window:,.0f} health req/s", file=sys.stderr)
    # Every 201 is a stored message: the sessions' last seqs add up to the count of 201s.
    check = await c.RawConn.open(relay.port)
    stored = 0
    for a in agents:
        status, body = await check.request(c.request_bytes("GET", f"/v1/sessions/{a.sid}", token=a.token))
        stored += json.loads(body)["last_seq"] if status == 200 else 0
    await check.close()
    sent = sum(ph.ok for ph in ingest)
    if stored != sent:
        raise RuntimeError(f"the relay got {sent} messages with 201 but its sessions hold {stored}")
    return {"ingest": ingest, "health": health, "body_len": body_len, "stored": stored,
            "stack": c.server_stack(relay.hiloop_bin), "rss": relay.status().get("VmRSS", 0)}


def rate(ph: Phase) -> float:
    return ph.counted / ph.window


def median_phase(phases: list[Phase]) -> Phase:
    return sorted(phases, key=rate)[len(phases) // 2]


def report(args: argparse.Namespace, res: dict[str, Any]) -> tuple[str, str]:
    p = c.percentile
    rows = []
    ingest_label = f"POST /v1/sessions/{{sid}}/messages ({args.size} B plaintext, {res['body_len']} B body)"
    health_label = "GET /v1/health (empty endpoint)"
    for r, (ing, hea) in enumerate(zip(res["ingest"], res["health"]), 1):
        for label, ph in ((ingest_label, ing), (health_label, hea)):
            rows.append([r, label, f"{rate(ph):,.0f}", ph.counted, f"{ph.window:.1f}", ph.errors,
                         f"{p(ph.latencies, 50):.1f}", f"{p(ph.latencies, 99):.1f}",
                         f"{ph.relay_cpu * 100:.0f}%", f"{ph.relay_cpu / max(rate(ph), 1e-9) * 1e6:.0f}",
                         f"{ph.client_cpu * 100:.0f}%", f"{ph.others * 100:.0f}%"])
    tbl = c.table(["round", "requests", "per second", "count", "window s", "errors", "p50 ms", "p99 ms",
                   "relay CPU", "relay CPU µs/req", "load-gen CPU", "others' CPU"], rows)
    ingest, health = median_phase(res["ingest"]), median_phase(res["health"])
    verdict = (f"median of {len(res['ingest'])} rounds: {rate(ingest):,.0f} msg/s, "
               f"{rate(ingest) / rate(health) * 100:.0f}% of the empty endpoint's {rate(health):,.0f} req/s; "
               f"target ≥ {TARGET_MSGS:,.0f} msg/s: "
               f"{c.verdict(rate(ingest), TARGET_MSGS, lower_is_better=False, unit=' msg/s')}")
    if any(ph.exhausted for ph in res["ingest"]):
        verdict += "; the sealed pool ran out before a window ended (raise --pool)"
    return tbl, verdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=50, help="concurrent agents, one session and connection each")
    ap.add_argument("--seconds", type=float, default=10.0, help="timed window per phase (default 10)")
    ap.add_argument("--size", type=int, default=1024, help="plaintext bytes per message (default 1024)")
    ap.add_argument("--rounds", type=int, default=3, help="ingest + empty-endpoint windows, alternating (default 3)")
    ap.add_argument("--pool", type=int, default=None,
                    help="envelopes sealed per agent beforehand (default: enough for 2,200 msg/s)")
    ap.add_argument("--hiloop-bin", type=Path, default=None,
                    help="the `hiloop` executable that runs the relay (default .venv/bin/hiloop; to compare stacks)")
    ap.add_argument("--log-level", default=None, help="the relay's --log-level (default: the relay's own, info)")
    ap.add_argument("--max-seconds", type=float, default=400.0, help="give up after this long (default 400)")
    ap.add_argument("--profile", default=None, metavar="DIR",
                    help="sample the relay with py-spy during each window (collapsed stacks in DIR)")
    ap.add_argument("--write", action="store_true", help="update the Foundation section of bench/RESULTS.md")
    args = ap.parse_args()
    res = asyncio.run(run(args))
    tbl, verdict = report(args, res)
    print(tbl)
    print(verdict)
    print(f"relay: {res['stack']}; RSS after the run {res['rss'] / 1024:.0f} MiB; {c.machine_line()}")
    if args.write:
        block = "\n".join([
            "### Ingest (`bench/ingest.py`)",
            "",
            f"`{c.command_line()}` — a relay process (`hiloop relay --port P --db TMP`, SQLite WAL, default log "
            f"level unless stated); the load generator is this benchmark's own process (raw asyncio HTTP/1.1, "
            f"one keep-alive connection per agent). CPU columns: share of one core used by the relay process, by the load generator, and by other processes on the machine during the window. {args.agents} agents paired over HTTP, one session each, "
            f"envelopes sealed beforehand with real crypto; {args.agents} requests in flight; "
            f"{args.seconds:g} s windows after {WARMUP_SECONDS:g} s of warm-up, {args.rounds} rounds alternating the two "
            "endpoints on the same relay (the figure is the median round). Both processes share the 2 cores.",
            "",
            tbl,
            "",
            f"**{verdict}.**",
            "",
            f"Machine: {c.machine_line()}; {c.code_version()}; relay stack: {res['stack']}.",
        ])
        c.write_results("ingest", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
