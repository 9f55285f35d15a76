"""The relay as a real process, started the way the README starts it (`./run`), plus an owner and a
paired agent talking to it over a real socket."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from hiloop import AsyncHiloopClient, AsyncOwnerClient
from hiloop.pairing import pair_agent_async

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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def relay_process(tmp_path: Path, hiloop_env: Path) -> Iterator[RelayProcess]:
    env = {**os.environ, "BROWSER": "true"}  # `./run` opens the app; here the "browser" is a no-op
    relay = RelayProcess(db_path=tmp_path / "relay" / "relay.db", port=free_port(), env=env)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


@dataclass
class World:
    relay: RelayProcess
    owner: AsyncOwnerClient
    agent: AsyncHiloopClient


@pytest.fixture
async def world(relay_process: RelayProcess) -> AsyncIterator[World]:
    """An owner set up from the printed set-up link and an agent paired and approved by that owner."""
    assert relay_process.setup_link, "a fresh relay prints its set-up link"
    await AsyncOwnerClient.setup(relay_process.url, relay_process.setup_link)
    owner = AsyncOwnerClient.load()
    shown = anyio.Event()
    links: list[str] = []

    def on_link(link: str) -> None:
        links.append(link)
        shown.set()

    async def approve() -> None:
        await shown.wait()
        await owner.approve_pairing(links[0])

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(approve)
            creds = await pair_agent_async(relay_process.url, "system-bot", on_link=on_link, timeout=20)
    agent = AsyncHiloopClient(api_key=creds.api_key)
    try:
        yield World(relay_process, owner, agent)
    finally:
        await agent.aclose()
        await owner.aclose()
