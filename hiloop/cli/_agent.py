"""`hiloop agent add NAME` and `hiloop agents`: agent identities on this machine."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import anyio

from hiloop.cli._common import CliError, out, print_json, relay_url_from
from hiloop.crypto import b64u_decode, fingerprint
from hiloop.pairing import pair_agent_async
from hiloop.store import agent_path, list_agents, owner_path


def register(sub: Any) -> None:
    agent = sub.add_parser("agent", help="pair agents on this machine", description="Agent identities on this machine.")
    asub = agent.add_subparsers(dest="agent_command", metavar="COMMAND", required=True)
    add = asub.add_parser("add", help="pair a new agent with the owner",
                          description="Create an agent identity, print a pairing link for the owner, wait for approval.")
    add.add_argument("name", metavar="NAME", help="a name for the agent (letters, digits, . _ -)")
    add.add_argument("--relay", metavar="URL", help="the relay (default HILOOP_URL, or the owner's relay here)")
    add.add_argument("--timeout", type=float, default=600, help="seconds to wait for approval (default 600)")
    add.set_defaults(func=cmd_add)

    agents = sub.add_parser("agents", help="list agents", description="Agents stored here, and agents paired with the owner.")
    agents.add_argument("--json", action="store_true", help="print JSON")
    agents.set_defaults(func=cmd_agents)

    readers = sub.add_parser("readers", help="let an agent read another agent's sessions",
                             description="Read-only visibility between the owner's agents.")
    rsub = readers.add_subparsers(dest="readers_command", metavar="COMMAND", required=True)
    grant = rsub.add_parser("grant", help="let READER read AGENT's sessions (AGENT adds it on its next sync)")
    grant.add_argument("agent", metavar="AGENT", help="the agent id whose sessions are read")
    grant.add_argument("reader", metavar="READER", help="the agent id that may read them")
    grant.set_defaults(func=cmd_readers_grant)
    withdraw = rsub.add_parser("withdraw", help="withdraw it (AGENT then rotates READER out)")
    withdraw.add_argument("agent", metavar="AGENT")
    withdraw.add_argument("reader", metavar="READER")
    withdraw.set_defaults(func=cmd_readers_withdraw)


def cmd_add(args: argparse.Namespace) -> int:
    relay = relay_url_from(args.relay)
    tty = sys.stdout.isatty()
    started = time.monotonic()
    shown: list[anyio.Event] = []

    def show_link(link: str) -> None:
        shown[0].set()
        agent_key = b64u_decode(link.rsplit("&a=", 1)[1], 32)
        out(f"Pairing agent {args.name!r} with {relay}.")
        out("Open this link where the owner is signed in (or run `hiloop pair approve LINK` there):")
        out("")
        out(f"    {link}")
        out("")
        out(f"Agent key fingerprint: {fingerprint(agent_key)}")
        if not tty:
            out("Waiting for the owner to approve…")

    async def ticker() -> None:
        await shown[0].wait()
        while True:
            elapsed = int(time.monotonic() - started)
            sys.stdout.write(f"\rWaiting for the owner to approve… {elapsed // 60}:{elapsed % 60:02d}")
            sys.stdout.flush()
            await anyio.sleep(1)

    async def pair() -> Any:
        shown.append(anyio.Event())
        async with anyio.create_task_group() as tg:
            if tty:
                tg.start_soon(ticker)
            try:
                return await pair_agent_async(relay, args.name, on_link=show_link, timeout=args.timeout)
            finally:
                tg.cancel_scope.cancel()
                if tty and shown[0].is_set():
                    sys.stdout.write("\n")

    creds = anyio.run(pair)
    elapsed = int(time.monotonic() - started)
    out(f"Approved after {elapsed} s. Agent {creds.name!r} is {creds.agent_id}, owned by {creds.owner_id}.")
    out(f"Credentials stored in {agent_path(creds.name)} (mode 0600).")
    out(f"API key {creds.api_key[:8]}… is in that file: HiloopClient() finds it, or set HILOOP_AGENT={creds.name}.")
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    stored = list_agents()
    paired = None
    activity: dict[str, Any] = {}
    if owner_path().exists():
        from hiloop.owner import OwnerClient

        with OwnerClient.load() as owner:
            paired = owner.agents()
            activity = {p.agent_id: owner.activity(p.agent_id) for p in paired}
    if args.json:
        print_json({
            "stored": [{"name": a.name, "agent_id": a.agent_id, "relay_url": a.relay_url, "owner_id": a.owner_id}
                       for a in stored],
            "paired": [{**a.model_dump(mode="json"), "activity": activity[a.agent_id].model_dump(mode="json")}
                       for a in paired] if paired is not None else None,
        })
        return 0
    if not stored and paired is None:
        raise CliError("no agents here and no owner signed in; pair one with `hiloop agent add NAME`")
    if stored:
        out("Agents stored on this machine:")
        for a in stored:
            out(f"  {a.name:<20} {a.agent_id:<16} {a.relay_url}")
    if paired is not None:
        out("Agents paired with the owner:" if paired else "No agents are paired with the owner yet.")
        for p in paired:
            seen = p.last_seen.strftime("%Y-%m-%d %H:%M") if p.last_seen else "never"
            status = "verified" if p.verified else "NOT VERIFIED (the certificate does not check)"
            out(f"  {p.name:<20} {p.agent_id:<16} {p.fingerprint:<24} last seen {seen}  {status}")
            if p.agent_id in activity:
                out(f"  {'':<20} {activity_line(activity[p.agent_id])}")
    return 0


BARS = " ▁▂▃▄▅▆▇█"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.0f}s"
    if value < 7200:
        return f"{value / 60:.0f}m"
    return f"{value / 3600:.1f}h"


def activity_line(a: Any) -> str:
    """`open 2 · answers p50 12s p90 40s · SLA 3 kept 1 missed · 24h ▁▂█` from an Activity."""
    peak = max(a.messages_per_hour, default=0)
    bars = "".join(BARS[0 if not n else max(1, round(n * 8 / peak))] for n in a.messages_per_hour) if peak else ""
    return (f"open {a.open_requests} · answers p50 {_seconds(a.response_p50)} p90 {_seconds(a.response_p90)} · "
            f"SLA {a.sla_kept} kept {a.sla_missed} missed · {a.hours}h {bars or '(quiet)'}")


def cmd_readers_grant(args: argparse.Namespace) -> int:
    from hiloop.owner import OwnerClient

    with OwnerClient.load() as owner:
        owner.grant_reader(args.agent, args.reader)
    out(f"{args.reader} may read {args.agent}'s sessions once {args.agent} syncs its readers.")
    return 0


def cmd_readers_withdraw(args: argparse.Namespace) -> int:
    from hiloop.owner import OwnerClient

    with OwnerClient.load() as owner:
        owner.withdraw_reader(args.agent, args.reader)
    out(f"{args.reader} may no longer read {args.agent}'s sessions; {args.agent} rotates it out on its next sync.")
    return 0
