"""Driving the real Claude Code CLI offline in tests and benchmarks: where the CLI is, the environment
it needs to talk to a fake model only, ClaudeEnv (a temporary HOME and project, `run_claude`,
`start_claude`, `interactive`), and ending the plugin daemons a test started."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_anthropic import FakeAnthropic

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "claude_plugin"
RUN_TIMEOUT = 120.0


def tools_dir() -> Path:
    return Path(os.environ.get("HILOOP_TOOLS") or "/opt/hiloop-tools")


def find_claude() -> str | None:
    pinned = tools_dir() / "claude" / "node_modules" / ".bin" / "claude"
    if pinned.exists():
        return str(pinned)
    return shutil.which("claude")


@dataclass
class ClaudeRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        value = json.loads(self.stdout)
        assert isinstance(value, dict), self.stdout
        return value

    @property
    def stream(self) -> list[dict[str, Any]]:
        """The events of `--output-format stream-json --verbose`."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def result(self) -> str:
        return str(self.json.get("result", ""))

    @property
    def denied_tools(self) -> list[str]:
        return [d.get("tool_name", "") for d in self.json.get("permission_denials", [])]


@dataclass
class ClaudeEnv:
    bin: str
    fake: FakeAnthropic
    root: Path
    home: Path
    project: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    terminals: list[Any] = field(default_factory=list)

    def command(self, prompt: str, *, plugin: bool = True, args: Sequence[str] = (),
                permission_mode: str = "default") -> list[str]:
        output = "json" if "--output-format" not in args else None
        cmd = [self.bin, "-p", prompt, "--permission-mode", permission_mode]
        if output:
            cmd += ["--output-format", output]
        if plugin:
            cmd += ["--plugin-dir", str(PLUGIN_DIR)]
        return cmd + list(args)

    def run_claude(self, prompt: str, *, plugin: bool = True, args: Sequence[str] = (), env: dict[str, str] | None = None,
                   permission_mode: str = "default", timeout: float = RUN_TIMEOUT) -> ClaudeRun:
        """Run `claude -p prompt` to the end; its JSON output is in `.json`."""
        proc = self.start_claude(prompt, plugin=plugin, args=args, env=env, permission_mode=permission_mode)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            out, err = proc.communicate()
            raise AssertionError(f"claude did not finish within {timeout} s\nstdout: {out[-3000:]}\nstderr: {err[-3000:]}")
        return ClaudeRun(proc.returncode, out, err)

    def start_claude(self, prompt: str, *, plugin: bool = True, args: Sequence[str] = (), env: dict[str, str] | None = None,
                     permission_mode: str = "default") -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            self.command(prompt, plugin=plugin, args=args, permission_mode=permission_mode),
            cwd=self.project, env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen[str], timeout: float = RUN_TIMEOUT) -> ClaudeRun:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            out, err = proc.communicate()
            raise AssertionError(f"claude did not finish within {timeout} s\nstderr: {err[-3000:]}")
        return ClaudeRun(proc.returncode, out, err)

    def interactive(self, prompt: str, *, env: dict[str, str] | None = None, plugin: bool = True) -> Any:
        """Interactive `claude "prompt"` under a private tmux server (closed at teardown)."""
        from tmux_session import Tmux, seed_interactive_home

        seed_interactive_home(self.home, self.project, self.env["ANTHROPIC_API_KEY"])
        cmd = [self.bin, "--permission-mode", "default"]
        if plugin:
            cmd += ["--plugin-dir", str(PLUGIN_DIR)]
        tmux = Tmux(cmd + [prompt], self.project, {**self.env, **(env or {})})
        self.terminals.append(tmux)
        return tmux

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run another `claude` subcommand (plugin, mcp, …) in this HOME."""
        return subprocess.run([self.bin, *args], cwd=self.project, env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        for tmux in self.terminals:
            tmux.close()
        for proc in self.procs:
            self._kill(proc)
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
            proc.wait()


def base_env(home: Path, fake_url: str) -> dict[str, str]:
    """The environment for a CLI that talks to the fake model only, with nothing of the caller's Claude."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ANTHROPIC", "AI_AGENT", "TMUX"))}
    keep.pop("CLAUDECODE", None)
    venv_bin = str(Path(sys.executable).parent)
    keep.update(
        HOME=str(home),
        PATH=venv_bin + os.pathsep + keep.get("PATH", "/usr/bin:/bin"),
        ANTHROPIC_BASE_URL=fake_url,
        ANTHROPIC_API_KEY="sk-test-fake-key-0123456789",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_ERROR_REPORTING="1",
        DISABLE_AUTOUPDATER="1",
        HILOOP_DAEMON_IDLE="20",
    )
    return keep


def wait_until(condition: Any, timeout: float = 30.0, what: str = "the condition") -> None:
    """Poll a condition of the outside world (a file, a screen) with a bound."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


def stop_daemons(root: Path, timeout: float = 10.0) -> None:
    """End the plugin daemons these tests started (each named by its pid file under `root`) and wait
    until they are gone."""
    for pid_file in root.rglob("daemon.pid"):
        try:
            pid = int(pid_file.read_text().strip())
            fd = os.pidfd_open(pid)
        except (OSError, ValueError):
            continue
        try:
            signal.pidfd_send_signal(fd, signal.SIGTERM)
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(timeout * 1000):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            os.close(fd)

