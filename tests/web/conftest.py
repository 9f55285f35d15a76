"""Fixtures for the browser tests: Debian's Chromium under Playwright, and a static server for relay/web.

Browser tests are marked `chromium`; they skip when /usr/bin/chromium is missing, except under
CI=true, where a missing Chromium is a failure.
"""

from __future__ import annotations

import concurrent.futures
import http.server
import os
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from relay.middleware import CONTENT_SECURITY_POLICY  # the relay's own policy

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "relay" / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required under CI=true")
    pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    csp: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.js_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
    assert csp == [], "the app broke its Content-Security-Policy"
    assert errors == [], "uncaught errors in the page"


# --- a static server for tests that need no relay -------------------------------------------------

_ROUTES = {
    "/static/": WEB,
    "/tests/js/": ROOT / "tests" / "js",
}
_FILES = {"/vectors.json": ROOT / "tests" / "crypto_vectors.json"}
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".html": "text/html"}
BLANK = b"<!doctype html><meta charset=utf-8><title>blank</title>"


class _StaticHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path == "/":
            return self._send(200, "text/html", BLANK)
        target = _FILES.get(path)
        for prefix, base in _ROUTES.items():
            if target is None and path.startswith(prefix):
                candidate = (base / path[len(prefix):]).resolve()
                if candidate.is_relative_to(base) and candidate.is_file():
                    target = candidate
        if target is None:
            return self._send(404, "text/plain", b"not found")
        self._send(200, _TYPES.get(target.suffix, "application/octet-stream"), target.read_bytes())

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def static_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StaticHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the app against a live relay -----------------------------------------------------------------

DEFAULT_WAIT_MS = 10_000


@dataclass
class AppOwner:
    """The owner created in the browser from the relay's set-up link."""

    relay: Any
    page: Any
    recovery_key: str


def setup_owner_in_page(page: Any, relay_url: str, setup_token: str) -> str:
    """Open the set-up link, create the account, return the recovery key the page shows once."""
    from playwright.sync_api import expect

    page.goto(f"{relay_url}/setup/{setup_token}")
    page.get_by_role("button", name="Create my account").click()
    key_field = page.get_by_label("Recovery key", exact=True)
    expect(key_field).to_have_value(re.compile(r"^hlr1\.o_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$"))
    recovery = key_field.input_value()
    page.get_by_label("I have saved my recovery key").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Needs you")).to_be_visible()
    return recovery


@pytest.fixture
def app_owner(live_relay: Any, page: Any) -> AppOwner:
    page.set_default_timeout(DEFAULT_WAIT_MS)
    recovery = setup_owner_in_page(page, live_relay.url, live_relay.setup_token)
    return AppOwner(relay=live_relay, page=page, recovery_key=recovery)


def pair_in_page(page: Any, relay_url: str, name: str) -> Any:
    """Pair an SDK agent called `name` by approving its link in the page; return its credentials."""
    from playwright.sync_api import expect

    from hiloop.crypto import b64u_decode, fingerprint
    from hiloop.pairing import pair_agent

    links: queue.Queue[str] = queue.Queue()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(pair_agent, relay_url, name, on_link=links.put, timeout=60)
        link = links.get(timeout=30)
        page.goto(link)
        expect(page.get_by_role("heading", name="Pair an agent")).to_be_visible()
        expect(page.locator(".pair-facts .agent-name")).to_have_text(name)
        agent_ed = b64u_decode(link.split("&a=")[1], 32)
        expect(page.locator(".pair-facts .fingerprint")).to_have_text(fingerprint(agent_ed))
        assert "#" not in page.url, "the pairing secret stays in the address bar"
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text(f"Approved. {name} can now reach you.")).to_be_visible()
        return future.result(timeout=30)


@pytest.fixture
def app_agent(app_owner: AppOwner) -> Iterator[Any]:
    """An SDK agent paired with the browser's owner, as a blocking HiloopClient."""
    from hiloop import HiloopClient

    creds = pair_in_page(app_owner.page, app_owner.relay.url, "deploy-bot")
    client = HiloopClient(credentials=creds)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def background() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    """Threads for the agent's blocking calls while the test drives the browser."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        yield pool
