"""Interactive Claude Code under tmux: a private tmux server (its own -L socket), the screen as text."""

from __future__ import annotations

import json
import os
import select
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

SCREEN_POLL = 0.1  # seconds between looks at the screen (the terminal has no event to wait on)


def seed_interactive_home(home: Path, project: Path, api_key: str) -> None:
    """What the first interactive start would ask: onboarding done, the API key approved, the folder trusted."""
    path = home / ".claude.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data["hasCompletedOnboarding"] = True
    data["customApiKeyResponses"] = {"approved": [api_key[-20:]], "rejected": []}
    data.setdefault("projects", {})[str(project)] = {"hasTrustDialogAccepted": True}
    path.write_text(json.dumps(data))


class Tmux:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], width: int = 160, height: int = 50) -> None:
        self.socket = f"hiloop-test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "main", "-c", str(cwd),
                   "exec " + " ".join(shlex.quote(c) for c in command))

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def history(self) -> str:
        """Everything the pane has shown, scrollback included."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-t", "main")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > end:
                raise TimeoutError(f"{text!r} never appeared; the screen:\n{screen}")
            time.sleep(SCREEN_POLL)

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def close(self, timeout: float = 10.0) -> None:
        """Stop Claude Code and wait until it has exited (its hooks with it), then the tmux server."""
        try:
            pid = int(self._tmux("display-message", "-p", "-t", "main", "#{pane_pid}").strip())
            fd = os.pidfd_open(pid)
        except (RuntimeError, ValueError, OSError):
            fd = None
        if fd is not None:
            try:
                signal.pidfd_send_signal(fd, signal.SIGHUP)
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                if not poller.poll(timeout * 1000):
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            finally:
                os.close(fd)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=10)
