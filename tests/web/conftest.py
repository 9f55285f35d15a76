"""Fixtures for the browser tests: Debian's Chromium under Playwright, and a static server for relay/web.

Browser tests are marked `chromium`; they skip when /usr/bin/chromium is missing, except under
CI=true, where a missing Chromium is a failure.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


# --- a static server for tests that need no relay -------------------------------------------------

_ROUTES = {
    "/web/": WEB,
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
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
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
