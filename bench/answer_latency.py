"""Answer → waiting agent: how long from the owner's answer to the agent's `await_response` returning.

    .venv/bin/python bench/answer_latency.py            # N=300, prints the table
    .venv/bin/python bench/answer_latency.py --write    # also updates bench/RESULTS.md (Foundation)

A real relay process (`hiloop relay --port P --db TMP`, SQLite) on 127.0.0.1, one owner, one agent
paired over HTTP. Each iteration: the agent sends a decision request (SDK `send_message`) and calls
`AsyncHiloopClient.await_response`, which long-polls `GET /v1/sessions/{sid}/messages?after=…&wait=30`.
Once that long-poll is on the wire (plus `--settle-ms`, so the relay has parked it), the owner posts
its response: an envelope sealed beforehand with the owner's session keyring (real crypto), sent as
the raw `POST /v1/sessions/{sid}/messages` the owner client makes, on a keep-alive connection.

Measured: from the moment the owner's POST starts being written to the moment `await_response`
returns the verified, decrypted answer (relay: store + commit + wake-up + re-read + render; agent:
httpx + pydantic + Ed25519 verify + AES-GCM). Two more rows for context: the same path seen by a raw
long-poll (no SDK: relay only), and the owner's POST round trip when nobody is waiting.

Target (DESIGN §9): p50 ≤ 5 ms, p99 ≤ 25 ms.
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

import httpx

sys.dont_write_bytecode = True  # nothing written into the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

from hiloop import wire  # noqa: E402
from hiloop.crypto import SessionKeyring  # noqa: E402
from hiloop.store import load_owner  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_P99_MS = 25.0
COMPONENTS = [
    {"type": "text", "text": "Deploy v2.4.1 to production?"},
    {"type": "button_group", "buttons": [{"label": "Deploy", "action": "approve", "variant": "primary"},
                                         {"label": "Cancel", "action": "deny", "variant": "danger"}]},
]


class PollSpy(httpx.AsyncHTTPTransport):
    """The agent's transport: sets `polling` when a long-poll (`wait=` > 0) is handed to the socket."""

    def __init__(self) -> None:
        super().__init__()
        self.polling = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("wait") not in (None, "0"):
            self.polling.set()
        return await super().handle_async_request(request)


def response_body(kr: SessionKeyring, request_mid: str) -> bytes:
    env = kr.seal({"v": 1, "type": "response", "request": request_mid, "action": "approve"})
    return json.dumps({"envelope": env, "meta": {"type": "response", "reply_to": request_mid}},
                      separators=(",", ":")).encode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hiloop-bench-") as tmp:
        relay = c.RelayProcess(Path(tmp), log_level=args.log_level, hiloop_bin=args.hiloop_bin)
        setup_link = relay.start()
        try:
            return await c.bounded(measure(args, relay, setup_link, Path(tmp)), args.max_seconds, "the benchmark")
        finally:
            relay.stop()


async def measure(args: argparse.Namespace, relay: c.RelayProcess, setup_link: str, tmp: Path) -> dict[str, Any]:
    from hiloop.client import AsyncHiloopClient

    world = await c.make_world(relay.url, setup_link, tmp / "home", 1)
    owner_token = load_owner(world.home).device_token
    creds = world.agents[0]
    spy = PollSpy()
    agent = AsyncHiloopClient(credentials=creds, base_url=relay.url, transport=spy)
    owner_conn = await c.RawConn.open(relay.port)
    raw_conn = await c.RawConn.open(relay.port)
    try:
        session = await agent.create_session("Latency bench", priority="high")
        sid = session.id
        status, body = await owner_conn.request(c.request_bytes("GET", f"/v1/sessions/{sid}", token=owner_token))
        assert status == 200, (status, body[:300])
        info = wire.SessionInfo.model_validate_json(body)
        owner_kr = c.keyring_from(info, me=world.owner_identity, my_id="owner",
                                  root_ed25519=c.agent_identity(creds).ed25519_pub)

        meter = c.CpuMeter(relay)
        sdk_ms: list[float] = []
        post_ms: list[float] = []
        for i in range(args.warmup + args.n):
            sent = await agent.send_message(sid, COMPONENTS)
            post = c.request_bytes("POST", f"/v1/sessions/{sid}/messages", token=owner_token,
                                   body=response_body(owner_kr, sent.id))
            spy.polling.clear()
            done: dict[str, float] = {}

            async def wait_answer(mid: str = sent.id, done: dict[str, float] = done) -> Any:
                answer = await agent.await_response(sid, mid, timeout=30)
                done["t"] = time.perf_counter()
                return answer

            task = asyncio.create_task(wait_answer())
            await c.bounded(spy.polling.wait(), 10, "the agent's long-poll")
            await asyncio.sleep(args.settle_ms / 1000)
            if task.done():
                raise RuntimeError(f"await_response returned before the answer was sent: {task.result()!r}")
            t0 = time.perf_counter()
            owner_conn.send(post)
            answer = await c.bounded(task, 30, "await_response")
            status, body = await owner_conn.response()
            if status != 201:
                raise RuntimeError(f"the owner's answer got {status}: {body[:300]!r}")
            if answer.action != "approve" or answer.responder_role != "owner" or answer.expired:
                raise RuntimeError(f"unexpected answer {answer!r}")
            if i >= args.warmup:
                sdk_ms.append((done["t"] - t0) * 1000)

        # The relay path alone: a raw long-poll parked on the timeline, woken by the owner's POST.
        raw_ms: list[float] = []
        for i in range(args.warmup + args.n):
            sent = await agent.send_message(sid, COMPONENTS)
            post = c.request_bytes("POST", f"/v1/sessions/{sid}/messages", token=owner_token,
                                   body=response_body(owner_kr, sent.id))
            raw_conn.send(c.request_bytes("GET", f"/v1/sessions/{sid}/messages?after={sent.seq}&wait=30",
                                          token=creds.api_key))
            await asyncio.sleep(args.settle_ms / 1000)
            if raw_conn.reader.at_eof() or len(raw_conn.reader._buffer):  # type: ignore[attr-defined]
                raise RuntimeError("the raw long-poll returned before the answer was sent")
            t0 = time.perf_counter()
            owner_conn.send(post)
            status, body = await c.bounded(raw_conn.response(), 30, "the raw long-poll")
            t1 = time.perf_counter()
            ostatus, obody = await owner_conn.response()
            if status != 200 or ostatus != 201:
                raise RuntimeError(f"raw long-poll {status} {body[:200]!r}, owner POST {ostatus} {obody[:200]!r}")
            timeline = json.loads(body)
            if [m["meta"]["reply_to"] for m in timeline["messages"]] != [sent.id]:
                raise RuntimeError(f"the raw long-poll returned {body[:300]!r}")
            if i >= args.warmup:
                raw_ms.append((t1 - t0) * 1000)

        # The owner's POST alone (nobody waiting): its own round trip, for comparison.
        for i in range(args.warmup + args.n):
            sent = await agent.send_message(sid, COMPONENTS)
            post = c.request_bytes("POST", f"/v1/sessions/{sid}/messages", token=owner_token,
                                   body=response_body(owner_kr, sent.id))
            t0 = time.perf_counter()
            status, body = await owner_conn.request(post)
            t1 = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"the owner's answer got {status}: {body[:300]!r}")
            if i >= args.warmup:
                post_ms.append((t1 - t0) * 1000)
    finally:
        await owner_conn.close()
        await raw_conn.close()
        await agent.aclose()
        await world.owner.aclose()
        load = meter.describe()
    return {"sdk": sorted(sdk_ms), "raw": sorted(raw_ms), "post": sorted(post_ms), "load": load,
            "stack": c.server_stack(relay.hiloop_bin), "relay_cmd": " ".join(relay.command[1:3] + ["--port P --db TMP"])}


def report(args: argparse.Namespace, res: dict[str, Any]) -> tuple[str, str]:
    p = c.percentile
    rows = []
    for key, label in (("sdk", "owner POST → agent `await_response` returns (SDK, verified + decrypted)"),
                       ("raw", "owner POST → raw long-poll response received (relay only)"),
                       ("post", "owner POST alone, nobody waiting (201 received)")):
        v = res[key]
        rows.append([label, len(v), f"{p(v, 50):.2f}", f"{p(v, 90):.2f}", f"{p(v, 99):.2f}", f"{v[-1]:.2f}"])
    tbl = c.table(["path", "N", "p50 ms", "p90 ms", "p99 ms", "max ms"], rows)
    sdk = res["sdk"]
    p50, p99 = p(sdk, 50), p(sdk, 99)
    verdicts = (f"target p50 ≤ {TARGET_P50_MS:g} ms: {c.verdict(p50, TARGET_P50_MS, unit=' ms')}; "
                f"target p99 ≤ {TARGET_P99_MS:g} ms: {c.verdict(p99, TARGET_P99_MS, unit=' ms')}")
    return tbl, verdicts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="measured iterations per row (default 300)")
    ap.add_argument("--warmup", type=int, default=20, help="iterations not measured first (default 20)")
    ap.add_argument("--settle-ms", type=float, default=10.0,
                    help="pause after the long-poll is sent, so the relay has parked it (default 10)")
    ap.add_argument("--hiloop-bin", type=Path, default=None,
                    help="the `hiloop` executable that runs the relay (default .venv/bin/hiloop; to compare stacks)")
    ap.add_argument("--log-level", default=None, help="the relay's --log-level (default: the relay's own, info)")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="give up after this long (default 300)")
    ap.add_argument("--write", action="store_true", help="update the Foundation section of bench/RESULTS.md")
    args = ap.parse_args()
    res = asyncio.run(run(args))
    tbl, verdicts = report(args, res)
    print(tbl)
    print(verdicts)
    print(f"relay: {res['stack']}; {c.machine_line()}")
    print(res["load"])
    if args.write:
        block = "\n".join([
            "### Answer → waiting agent (`bench/answer_latency.py`)",
            "",
            f"`{c.command_line()}` — a relay process (`hiloop relay --port P --db TMP`, SQLite, default log level "
            "unless stated), one owner and one agent paired over HTTP, loopback. Each iteration the agent sends a "
            "decision request and calls `await_response`; once its long-poll is on the wire "
            f"(+{args.settle_ms:g} ms), the owner's pre-sealed response is POSTed on a keep-alive connection. "
            f"Timed from the start of that POST; {args.warmup} warm-up iterations not counted.",
            "",
            tbl,
            "",
            f"**{verdicts}.**",
            "",
            f"Machine: {c.machine_line()}; {c.code_version()}; relay stack: {res['stack']}; {res['load']}.",
        ])
        c.write_results("answer_latency", block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
