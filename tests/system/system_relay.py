"""The relay as a real process, started the way the README starts it (`./run`)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from hiloop import AsyncHiloopClient, AsyncOwnerClient

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # the first ./run may still be installing into .venv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RelayProcess:
    """`./run --port P --db D` in a child process; every line it prints is kept in `output`."""

    db_path: Path
    port: int
    env: dict[str, str]
    output: list[str] = field(default_factory=list)
    setup_link: str | None = None
    proc: subprocess.Popen[str] | None = None
    pump: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [str(REPO / "run"), "--port", str(self.port), "--db", str(self.db_path)],
            cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        stdout = self.proc.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                self.output.append(line)
                lines.put(line)
            lines.put(None)

        self.pump = threading.Thread(target=pump, daemon=True)
        self.pump.start()
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"the relay did not start: {''.join(self.output)}") from None
            if line is None:
                raise AssertionError(f"the relay exited: {''.join(self.output)}")
            if line.startswith("Set-up link: "):
                self.setup_link = line.split(": ", 1)[1].strip()
            if "Uvicorn running on" in line or "running on http" in line.lower():
                return

    def kill(self) -> None:
        """kill -9: no shutdown, no checkpoint."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        """Read what the process printed to the end, then close the pipe."""
        assert self.proc is not None and self.proc.stdout is not None
        if self.pump is not None:
            self.pump.join(timeout=10)
        self.proc.stdout.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            self._close()


@dataclass
class World:
    relay: RelayProcess
    owner: AsyncOwnerClient
    agent: AsyncHiloopClient
