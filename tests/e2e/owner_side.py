"""The owner's side of a plugin test: an owner set up on a live relay, an agent paired with it (stored
under HILOOP_HOME, where the plugin's daemon finds it), and waits driven by the relay's event
long-poll (no sleeps)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from hiloop.models import TimelineMessage
from hiloop.owner import OwnerClient
from hiloop.pairing import pair_agent

Match = Callable[[TimelineMessage], bool]


class OwnerSide:
    def __init__(self, relay_url: str, setup_token: str, home: Path) -> None:
        self.relay_url = relay_url
        self.home = home
        OwnerClient.setup(relay_url, setup_token, home=home)
        self.client = OwnerClient.load(home=home)
        self._token = self.client._async.credentials.device_token
        self._cursor = 0

    def close(self) -> None:
        self.client.close()

    def pair(self, name: str = "claude-code") -> None:
        """`hiloop agent add NAME`, approved by this owner."""
        links: queue.Queue[str] = queue.Queue()
        errors: list[BaseException] = []

        def agent() -> None:
            try:
                pair_agent(self.relay_url, name, on_link=links.put, home=self.home, timeout=30)
            except BaseException as exc:  # reported in the test thread
                errors.append(exc)

        thread = threading.Thread(target=agent, name="pair-agent")
        thread.start()
        self.client.approve_pairing(links.get(timeout=30))
        thread.join(30)
        if errors:
            raise errors[0]

    # --- reading what the plugin sent ---------------------------------------------------------

    def session_ids(self) -> list[str]:
        return [s.id for s in self.client.sessions(kind="claude_code")]

    def messages(self, sid: str | None = None) -> list[TimelineMessage]:
        sids = [sid] if sid else self.session_ids()
        return [m for s in sids for m in self.client.open_session(s).messages]

    def events(self, sid: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The decrypted tool events: (event name, data)."""
        return [(m.content["event"], m.content.get("data", {})) for m in self.messages(sid)
                if m.content.get("type") == "tool_event"]

    def wait_for(self, match: Match, timeout: float = 30.0) -> tuple[str, TimelineMessage]:
        """The first message (in any claude_code session) that matches, waiting on the relay's events."""
        end = time.monotonic() + timeout
        while True:
            for sid in self.session_ids():
                for m in self.client.open_session(sid).messages:
                    if match(m):
                        return sid, m
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the owner saw no matching message")
            self._next_events(min(remaining, 10.0))

    def wait_for_events(self, names: set[str], timeout: float = 30.0) -> list[tuple[str, dict[str, Any]]]:
        """The tool events once every name in `names` is among them."""
        return self.wait_until(lambda found: names <= {name for name, _ in found}, timeout)

    def wait_until(self, done: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout: float = 30.0
                   ) -> list[tuple[str, dict[str, Any]]]:
        """The tool events once `done(events)` holds."""
        end = time.monotonic() + timeout
        while True:
            found = self.events()
            if done(found):
                return found
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the events never satisfied the test; last seen: {[n for n, _ in found]}")
            self._next_events(min(remaining, 10.0))

    def wait_for_request(self, type: str = "permission_request", timeout: float = 30.0, seen: set[str] | None = None
                         ) -> tuple[str, TimelineMessage]:
        skip = seen or set()
        return self.wait_for(lambda m: m.type == type and m.id not in skip, timeout)

    def _next_events(self, wait: float) -> None:
        r = httpx.get(f"{self.relay_url}/v1/events", params={"after": self._cursor, "wait": max(1.0, wait)},
                      headers={"Authorization": f"Bearer {self._token}"}, timeout=wait + 15)
        r.raise_for_status()
        self._cursor = int(r.json()["cursor"])

    # --- answering ----------------------------------------------------------------------------

    def respond(self, sid: str, mid: str, **answer: Any) -> None:
        self.client.respond(sid, mid, **answer)

    def instruct(self, sid: str, text: str) -> None:
        self.client.send_instruction(sid, text)
