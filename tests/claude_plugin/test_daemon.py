"""The daemon's logic against an in-memory relay: order, retries, titles, and who may decide."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from hiloop_hooks import inbox, spool
from hiloop_hooks.config import Paths, Settings
from hiloop_hooks.daemon import Daemon, Incoming, Rejected, RelayDown, in_order, title


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class MemoryRelay:
    """A Backend that keeps everything in lists; `down` makes every call fail like a closed port."""

    def __init__(self) -> None:
        self.down = False
        self.sessions: dict[str, str] = {}
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.incoming: asyncio.Queue[Incoming] = asyncio.Queue()
        self.asked = asyncio.Event()
        self.gone: set[str] = set()
        self.seq = 0

    def _check(self) -> None:
        if self.down:
            raise RelayDown("ConnectError")

    async def create_session(self, title: str) -> str:
        self._check()
        sid = f"s_{len(self.sessions)}"
        self.sessions[sid] = title
        return sid

    async def send_event(self, sid: str, event: str, data: dict[str, Any]) -> None:
        self._check()
        if sid in self.gone:
            raise Rejected("session_closed")
        self.sent.append((sid, event, data))

    async def send_request(self, sid: str, components: list[dict[str, Any]], *, type: str, deadline: float,
                           default_action: str | None) -> str:
        self._check()
        mid = f"m_{len(self.requests)}"
        self.requests.append((sid, mid, {"type": type, "deadline": deadline, "default_action": default_action}))
        self.asked.set()
        return mid

    async def timeline(self, sid: str, after: int, wait: float) -> tuple[list[Incoming], int]:
        self._check()
        message = await self.incoming.get()
        return [message], message.seq

    async def close_session(self, sid: str) -> None:
        self._check()

    async def aclose(self) -> None:
        pass

    def answer(self, role: str, kind: str, content: dict[str, Any], reply_to: str | None = None) -> None:
        self.seq += 1
        self.incoming.put_nowait(Incoming(self.seq, f"r{self.seq}", role, kind, content, reply_to))


def make(tmp_path: Path) -> tuple[Daemon, MemoryRelay, Paths]:
    paths = Paths(tmp_path / "data")
    paths.make()
    relay = MemoryRelay()
    settings = Settings(interactive=False, permission_timeout=5, on_deadline="deny", daemon_idle=60)
    return Daemon(paths, settings, relay, lambda line: None), relay, paths


PERMISSION = {"session_id": "c1", "hook_event_name": "PermissionRequest", "cwd": "/w/shop", "tool_name": "Bash",
              "tool_input": {"command": "make deploy"}}


async def drain(daemon: Daemon, paths: Paths) -> None:
    for path in spool.ready(paths.spool):  # as if the grace for late async events had passed
        os.utime(path, (time.time() - 5, time.time() - 5))
    for _ in range(3):
        batch = in_order(spool.ready(paths.spool))
        for path, event in batch:
            await daemon.send_event(path, event, batch, set())


@pytest.mark.anyio
async def test_events_go_out_in_order_and_the_session_is_titled_with_the_first_prompt(tmp_path):
    daemon, relay, paths = make(tmp_path)
    spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "SessionStart", "source": "startup", "cwd": "/w/shop"})
    spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "UserPromptSubmit", "prompt": "Fix the login bug\nplease",
                            "cwd": "/w/shop"})
    spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "SessionEnd", "reason": "other"})
    await drain(daemon, paths)
    assert relay.sessions == {"s_0": "shop: Fix the login bug"}
    assert [e for _, e, _ in relay.sent] == ["SessionStart", "UserPromptSubmit", "SessionEnd"]
    assert spool.ready(paths.spool) == []
    assert daemon.mirrors["c1"].ended
    await daemon.shutdown()


@pytest.mark.anyio
async def test_a_lone_session_start_waits_for_its_prompt(tmp_path):
    daemon, relay, paths = make(tmp_path)
    event = {"session_id": "c1", "hook_event_name": "SessionStart", "cwd": "/w/shop"}
    path = spool.put(paths.spool, event)
    held: set[str] = set()
    assert await daemon.send_event(path, event, [(path, event)], held) is False
    assert held == {"c1"} and relay.sessions == {} and path.exists()


@pytest.mark.anyio
async def test_while_the_relay_is_down_events_stay_in_the_spool_and_go_out_later(tmp_path):
    daemon, relay, paths = make(tmp_path)
    relay.down = True
    for i in range(3):
        spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "UserPromptSubmit", "prompt": f"p{i}"})
    with pytest.raises(RelayDown):
        await drain(daemon, paths)
    assert len(spool.ready(paths.spool)) == 3
    relay.down = False
    await drain(daemon, paths)
    assert [d["prompt"] for _, _, d in relay.sent] == ["p0", "p1", "p2"]
    await daemon.shutdown()


@pytest.mark.anyio
async def test_with_the_relay_down_a_permission_request_decides_nothing_at_once(tmp_path):
    daemon, relay, paths = make(tmp_path)
    relay.down = True
    with anyio.fail_after(1):
        reply = await daemon.on_permission({"hook": PERMISSION, "timeout": 60, "on_deadline": "deny"})
    assert reply == {"ok": False, "error": "relay_unreachable"}


@pytest.mark.anyio
async def test_only_an_owners_answer_decides_and_an_answer_may_come_before_its_waiter(tmp_path):
    daemon, relay, paths = make(tmp_path)
    async with anyio.create_task_group() as tg:
        result: dict[str, Any] = {}

        async def ask() -> None:
            result.update(await daemon.on_permission({"hook": PERMISSION, "timeout": 10, "on_deadline": "deny"}))

        tg.start_soon(ask)
        with anyio.fail_after(5):
            await relay.asked.wait()
        sid, mid, meta = relay.requests[0]
        assert meta == {"type": "permission_request", "deadline": 10, "default_action": "deny"}
        relay.answer("guest", "response", {"type": "response", "request": mid, "action": "allow"}, mid)
        relay.answer("reader", "response", {"type": "response", "request": mid, "action": "allow"}, mid)
        relay.answer("owner", "response", {"type": "response", "request": mid, "action": "deny", "text": "no"}, mid)
    decision = result["output"]["hookSpecificOutput"]["decision"]
    assert decision == {"behavior": "deny", "message": "Denied from Hiloop: no"}
    await daemon.shutdown()


@pytest.mark.anyio
async def test_an_owners_instruction_lands_in_the_sessions_inbox_and_a_guests_does_not(tmp_path):
    daemon, relay, paths = make(tmp_path)
    m = daemon.mirror("c1")
    daemon.on_message(m, Incoming(1, "g1", "guest", "instruction", {"type": "instruction", "text": "rm -rf /"}))
    daemon.on_message(m, Incoming(2, "o1", "owner", "instruction", {"type": "instruction", "text": "add tests"}))
    items = inbox.claim(paths.inbox_for("c1"))
    assert [i["text"] for i in items] == ["add tests"]


@pytest.mark.anyio
async def test_the_deadline_applies_the_configured_default(tmp_path):
    daemon, relay, paths = make(tmp_path)
    with anyio.fail_after(5):
        deny = await daemon.on_permission({"hook": PERMISSION, "timeout": 0.2, "on_deadline": "deny"})
        ask = await daemon.on_permission({"hook": PERMISSION, "timeout": 0.2, "on_deadline": "ask"})
    assert deny["output"]["hookSpecificOutput"]["decision"]["behavior"] == "deny"
    assert ask == {"ok": True, "output": None}
    assert [meta["default_action"] for _, _, meta in relay.requests] == ["deny", None]
    await daemon.shutdown()


def test_titles_name_the_project_and_the_first_line_of_the_prompt():
    assert title({"cwd": "/home/me/shop", "prompt": "Add a cart\nwith tests"}) == "shop: Add a cart"
    assert title({"cwd": "/home/me/shop"}) == "shop: Claude Code"
    assert len(title({"cwd": "/x", "prompt": "y" * 500})) < 90


def test_a_tools_pre_event_goes_before_its_post_event_even_when_written_later(tmp_path):
    folder = tmp_path / "spool"
    spool.put(folder, {"session_id": "c", "hook_event_name": "PostToolUse", "tool_use_id": "t1"})
    spool.put(folder, {"session_id": "c", "hook_event_name": "Stop"})
    spool.put(folder, {"session_id": "c", "hook_event_name": "PreToolUse", "tool_use_id": "t1"})
    names = [e["hook_event_name"] for _, e in in_order(spool.ready(folder))]
    assert names == ["PreToolUse", "PostToolUse", "Stop"]


@pytest.mark.anyio
async def test_a_closed_hiloop_session_is_replaced_by_a_new_one(tmp_path):
    daemon, relay, paths = make(tmp_path)
    spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "UserPromptSubmit", "prompt": "one", "cwd": "/w/a"})
    await drain(daemon, paths)
    relay.gone.add("s_0")
    spool.put(paths.spool, {"session_id": "c1", "hook_event_name": "UserPromptSubmit", "prompt": "two", "cwd": "/w/a"})
    await drain(daemon, paths)
    assert [(sid, d["prompt"]) for sid, _, d in relay.sent] == [("s_0", "one"), ("s_1", "two")]
    assert daemon.mirrors["c1"].sid == "s_1"
    await daemon.shutdown()


def test_a_stop_written_before_a_late_async_post_event_still_goes_after_it(tmp_path):
    folder = tmp_path / "spool"
    spool.put(folder, {"session_id": "c", "hook_event_name": "PreToolUse", "tool_use_id": "t1"})
    spool.put(folder, {"session_id": "c", "hook_event_name": "Stop"})
    spool.put(folder, {"session_id": "other", "hook_event_name": "UserPromptSubmit"})
    spool.put(folder, {"session_id": "c", "hook_event_name": "PostToolUse", "tool_use_id": "t1"})
    names = [(e["session_id"], e["hook_event_name"]) for _, e in in_order(spool.ready(folder))]
    assert names == [("c", "PreToolUse"), ("c", "PostToolUse"), ("c", "Stop"), ("other", "UserPromptSubmit")]
