"""Screenshots of the web app for the README: a real relay, realistic content, Debian's Chromium.

    .venv/bin/python docs/screenshots/make.py            # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots/make.py --only inbox,agents

Starts a relay process (`hiloop relay --port P --db TMP`, as the README runs it), creates the owner in
the browser from the set-up link, pairs agents by approving their links in the page, and has them send
what agents send: a deploy decision, a weekly report, an access form, a Claude Code session with tool
calls and a permission request, a poll a guest answers. Each view is taken at a desktop size
(1280×800) and at a phone size (390×844, 2× pixels, touch): `<view>.png` and `<view>-phone.png`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import queue
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "claude_plugin"))

import _common as c  # type: ignore[import-not-found]  # bench/_common.py: the relay process
from hiloop_hooks import events, permission  # type: ignore[import-not-found]  # the Claude Code plugin's builders

from hiloop import HiloopClient, wire
from hiloop.pairing import pair_agent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP_SIZE = {"width": 1280, "height": 800}
DESKTOP = {"viewport": DESKTOP_SIZE, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
WAIT_MS = 20_000
MAX_HEIGHT = 1600

# --- what the agents send ------------------------------------------------------------------------

DEPLOY = [
    {"type": "text", "text": "Release **checkout v2.4.1** is green on staging. Deploy it to production?"},
    {"type": "kv", "entries": [
        {"label": "Service", "value": "checkout"},
        {"label": "Version", "value": "2.4.1 (from 2.4.0)"},
        {"label": "Changes", "value": "12 commits · 3 migrations"},
        {"label": "Tests", "value": "1,284 passed · 0 failed"},
        {"label": "Region", "value": "eu-west-1, then us-east-1"},
    ]},
    {"type": "alert", "level": "warning", "title": "Heads-up",
     "text": "Migration 0042 locks `orders` for about 20 s."},
    {"type": "button_group", "buttons": [
        {"label": "Deploy", "action": "approve", "variant": "primary"},
        {"label": "Wait until tonight", "action": "later"},
        {"label": "Cancel", "action": "deny", "variant": "danger"},
    ]},
]

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
REPORT = [
    {"type": "text", "text": "Weekly numbers for the shop, 17–23 November. Revenue is up, refunds are down."},
    {"type": "metric_grid", "metrics": [
        {"label": "Revenue", "value": "€48,210", "change": "+12.4%", "trend": "up"},
        {"label": "Orders", "value": 1873, "change": "+8.1%", "trend": "up"},
        {"label": "Conversion", "value": "3.2%", "change": "+0.3 pt", "trend": "up"},
        {"label": "Refunds", "value": 41, "change": "−18%", "trend": "down"},
    ]},
    {"type": "chart", "kind": "line", "title": "Revenue per day (k€)", "labels": DAYS, "series": [
        {"name": "This week", "values": [5.8, 6.2, 6.9, 7.4, 8.1, 7.2, 6.6]},
        {"name": "Last week", "values": [5.1, 5.5, 6.0, 6.3, 7.0, 6.4, 6.6]},
    ]},
    {"type": "table", "title": "Top products", "headers": ["Product", "Orders", "Revenue", "Change"], "rows": [
        ["Trail runner 3", 312, "€9,360", "+21%"],
        ["Rain shell", 204, "€8,160", "+4%"],
        ["Merino socks (3-pack)", 566, "€5,660", "+9%"],
        ["Headlamp 400", 143, "€4,290", "−3%"],
    ]},
    {"type": "button_group", "buttons": [
        {"label": "Publish to the team", "action": "publish", "variant": "primary"},
        {"label": "Hold", "action": "hold"},
    ]},
]

ACCESS_FORM = [
    {"type": "text", "text": "Dana Reyes starts Monday as a contractor. Which access should I set up?"},
    {"type": "wizard", "title": "Access for Dana", "steps": [
        {"title": "Accounts", "components": [{"type": "qa", "questions": [
            {"id": "systems", "kind": "multi", "prompt": "Accounts to create",
             "options": ["GitHub (shop org)", "Staging VPN", "Grafana", "Production database (read-only)"]},
            {"id": "github_team", "kind": "single", "prompt": "GitHub team",
             "options": ["frontend", "payments", "platform"]},
        ]}]},
        {"title": "Duration", "components": [{"type": "qa", "questions": [
            {"id": "weeks", "kind": "number", "prompt": "For how many weeks?"},
            {"id": "note", "kind": "open", "prompt": "A note for Dana (optional)", "required": False},
        ]}]},
    ]},
]

POLL = [
    {"type": "text", "text": "The team retro moves this week. Which day works for you?"},
    {"type": "button_group", "buttons": [
        {"label": "Thursday 15:00", "action": "thu", "variant": "primary"},
        {"label": "Friday 10:00", "action": "fri", "variant": "primary"},
        {"label": "Can't make it", "action": "none"},
    ]},
]

CLAUDE_BASE = {"session_id": "cc-shop", "cwd": "/home/dev/shop", "transcript_path": "/tmp/t.jsonl"}
CLAUDE_HOOKS: list[dict[str, Any]] = [
    {"hook_event_name": "UserPromptSubmit", "prompt": "The cart total ignores discounts. Fix it and add a test."},
    {"hook_event_name": "PreToolUse", "tool_name": "Grep", "tool_use_id": "t1",
     "tool_input": {"pattern": "def cart_total", "path": "shop/"}},
    {"hook_event_name": "PostToolUse", "tool_name": "Grep", "tool_use_id": "t1",
     "tool_input": {"pattern": "def cart_total", "path": "shop/"}, "tool_response": "shop/cart.py:41"},
    {"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_use_id": "t2",
     "tool_input": {"file_path": "shop/cart.py", "old_string": "    total = sum(i.price * i.qty for i in items)\n",
                    "new_string": "    total = sum(i.price * i.qty for i in items)\n"
                                  "    total -= sum(d.amount for d in discounts)\n"}},
    {"hook_event_name": "PostToolUse", "tool_name": "Edit", "tool_use_id": "t2",
     "tool_input": {"file_path": "shop/cart.py"}, "tool_response": {"filePath": "shop/cart.py"}},
    {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_use_id": "t3",
     "tool_input": {"command": "pytest -q tests/test_cart.py", "description": "Run the cart tests"}},
    {"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_use_id": "t3",
     "tool_input": {"command": "pytest -q tests/test_cart.py"},
     "tool_response": {"stdout": "......                                   [100%]\n6 passed in 0.41s", "stderr": ""}},
]
CLAUDE_PERMISSION = {**CLAUDE_BASE, "hook_event_name": "PermissionRequest", "tool_name": "Bash",
                     "tool_input": {"command": "git push origin fix/cart-discounts",
                                    "description": "Push the fix branch"},
                     "permission_suggestions": [{"type": "addRules", "behavior": "allow",
                                                 "destination": "localSettings",
                                                 "rules": [{"toolName": "Bash", "ruleContent": "git push:*"}]}]}


# --- the run -----------------------------------------------------------------------------------------


class Shots:
    """The owner signed in in a desktop and a phone context; `take` captures a view in both."""

    def __init__(self, browser: Any, url: str, only: set[str] | None) -> None:
        self.browser = browser
        self.url = url
        self.only = only
        self.desktop = self._context(DESKTOP)
        self.phone = self._context(PHONE)
        self.taken: list[Path] = []

    def _context(self, options: dict[str, Any]) -> Any:
        context = self.browser.new_context(**options, color_scheme="light", locale="en-GB",
                                           timezone_id="Europe/Amsterdam")
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        return page

    def wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    def take(self, name: str, path: str, ready: Callable[[Any], None], *, pages: tuple[Any, ...] | None = None,
             whole: bool = False) -> None:
        """`<name>.png` (desktop; the whole page with `whole`) and `<name>-phone.png` (the phone's screen)."""
        if not self.wanted(name):
            return
        for page, suffix in zip(pages or (self.desktop, self.phone), ("", "-phone"), strict=True):
            if path:
                page.goto(self.url + path)
            ready(page)
            page.evaluate("() => document.fonts.ready")
            target = OUT / f"{name}{suffix}.png"
            if whole and not suffix:  # a window as tall as the page (so sticky parts sit where they belong)
                height = page.evaluate("() => document.documentElement.scrollHeight")
                page.set_viewport_size({"width": DESKTOP_SIZE["width"], "height": min(MAX_HEIGHT, height)})
                page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            page.screenshot(path=str(target))
            if whole and not suffix:
                page.set_viewport_size(DESKTOP_SIZE)
            self.taken.append(target)
            if page.errors:
                raise RuntimeError(f"errors in the page while taking {name}: {page.errors}")


def setup_owner(page: Any, url: str, link: str) -> str:
    from playwright.sync_api import expect

    page.goto(link)
    page.get_by_role("button", name="Create my account").click()
    key = page.get_by_label("Recovery key", exact=True)
    expect(key).to_have_value(re.compile(r"^hlr1\."))
    recovery = key.input_value()
    page.get_by_label("I have saved my recovery key").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Needs you")).to_be_visible()
    return recovery


def sign_in(page: Any, url: str, recovery: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/")
    page.get_by_label("Recovery key", exact=True).fill(recovery)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Needs you")).to_be_visible()


def pair(shots: Shots, url: str, name: str, pool: concurrent.futures.ThreadPoolExecutor, home: Path, *,
         screenshot: bool = False) -> Any:
    """Pair an SDK agent by approving its link in the desktop page (after screenshots of the page)."""
    from playwright.sync_api import expect

    links: queue.Queue[str] = queue.Queue()
    future = pool.submit(pair_agent, url, name, on_link=links.put, timeout=120, home=home)
    try:
        link = links.get(timeout=60)
    except queue.Empty:
        future.result(timeout=1)  # its error
        raise
    pages = (shots.desktop, shots.phone) if screenshot else (shots.desktop,)
    for page in pages:
        page.goto(link)
        expect(page.get_by_role("heading", name="Pair an agent")).to_be_visible()
    if screenshot:
        shots.take("pairing", "", lambda p: expect(p.locator(".pair-facts .fingerprint")).to_be_visible())
    shots.desktop.get_by_role("button", name="Approve").click()
    expect(shots.desktop.get_by_text(f"Approved. {name} can now reach you.")).to_be_visible()
    return HiloopClient(credentials=future.result(timeout=60))


def send_hook(agent: HiloopClient, sid: str, hook: dict[str, Any]) -> None:
    event, data = events.tool_event({**CLAUDE_BASE, **hook})
    payload = {"v": 1, "type": "tool_event", "event": event, "data": data}
    agent._portal.call(agent._async._send, sid, payload, wire.MessageMeta(type="tool_event"))


def session_ready(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".session-view .loading")).to_have_count(0)
    expect(page.locator(".timeline .item").first).to_be_visible()


def run(args: argparse.Namespace) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    only = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="hiloop-shots-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(4) as pool, sync_playwright() as pw:
        relay = c.RelayProcess(Path(tmp))
        link = relay.start()
        home = Path(tmp) / "agents"
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        agents: list[HiloopClient] = []
        try:
            shots = Shots(browser, relay.url, only)
            recovery = setup_owner(shots.desktop, relay.url, link)
            sign_in(shots.phone, relay.url, recovery)

            deploy = pair(shots, relay.url, "deploy-bot", pool, home)
            analytics = pair(shots, relay.url, "weekly-report", pool, home)
            people = pair(shots, relay.url, "onboarding", pool, home)
            claude = pair(shots, relay.url, "claude-code", pool, home)
            agents += [deploy, analytics, people, claude]

            # what waits on the owner, most pressing first
            s_deploy = deploy.create_session("Deploy checkout v2.4.1 to production", priority="high")
            deploy.send_message(s_deploy.id, DEPLOY, priority="high", deadline=45 * 60, default_action="later")
            s_report = analytics.create_session("Weekly report: 17–23 November")
            analytics.send_message(s_report.id, REPORT)
            s_access = people.create_session("Access for a new contractor")
            people.send_message(s_access.id, ACCESS_FORM, deadline=20 * 3600)
            s_claude = claude.create_session("shop: cart total ignores discounts", kind="claude_code")
            for hook in CLAUDE_HOOKS:
                send_hook(claude, s_claude.id, hook)
            claude.send_message(s_claude.id, permission.components(CLAUDE_PERMISSION), type="permission_request",
                                requires_response=True, deadline=10 * 60)
            s_poll = people.create_session("Team retro: pick a day", is_public=True)
            people.send_message(s_poll.id, POLL, deadline=2 * 24 * 3600)
            s_db = deploy.create_session("Nightly backup finished", priority="low")
            deploy.send_message(s_db.id, [{"type": "text", "text": "Backup of `orders` done: 14.2 GB in 6 min."},
                                          {"type": "button_group", "buttons": [{"label": "OK", "action": "ok"}]}],
                                priority="low")
            # some history for the agents page: an answered request
            s_old = deploy.create_session("Scale workers to 6")
            old = deploy.send_message(s_old.id, [{"type": "text", "text": "Queue is backing up. Scale to 6?"},
                                                 {"type": "button_group", "buttons": [
                                                     {"label": "Scale", "action": "approve"}]}], deadline=600)
            shots.desktop.goto(relay.url + "/")
            shots.desktop.locator(f".feed-item[data-mid='{old.id}']").get_by_role("button", name="Scale").click()
            expect(shots.desktop.locator(f".feed-item[data-mid='{old.id}']")).to_have_count(0)

            def inbox_ready(page: Any) -> None:
                expect(page.locator(".page-home[data-ready]")).to_be_attached()
                expect(page.locator(".feed-item")).to_have_count(6)

            shots.take("inbox", "/", inbox_ready)
            shots.take("decision", f"/s/{s_deploy.id}", session_ready)
            shots.take("report", f"/s/{s_report.id}", session_ready, whole=True)
            shots.take("form", f"/s/{s_access.id}", session_ready)

            def claude_ready(page: Any) -> None:
                session_ready(page)
                expect(page.locator(".timeline .item.permission")).to_be_visible()
                if page.viewport_size["width"] < 600:  # a phone: the request, as the banner leads there
                    page.locator(".timeline .item.permission").scroll_into_view_if_needed()

            shots.take("claude-code", f"/s/{s_claude.id}", claude_ready, whole=True)

            def agents_ready(page: Any) -> None:
                expect(page.locator(".agent-list .agent")).to_have_count(4)

            shots.take("agents", "/agents", agents_ready)

            if shots.wanted("guest"):
                guest = people.create_guest_token(s_poll.id, label="Sam")
                guest_pages = (shots._context(DESKTOP), shots._context(PHONE))
                for page in guest_pages:
                    page.goto(guest.join_url)
                    page.get_by_role("button", name="Open the session").click()
                shots.take("guest", "", session_ready, pages=guest_pages)

            if shots.wanted("pairing"):
                agents.append(pair(shots, relay.url, "invoice-bot", pool, home, screenshot=True))
            return shots.taken
        finally:
            for agent in agents:
                agent.close()
            browser.close()
            relay.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated views: inbox,decision,report,form,claude-code,guest,agents,pairing")
    args = ap.parse_args()
    for path in run(args):
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
