"""Where the plugin keeps its state, and its settings (read from the environment once, in main)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PAIR_HINT = "hiloop: not paired, so this session is not mirrored. Pair once with `hiloop agent add NAME`."

# CLAUDE_CODE_ENTRYPOINT of runs with nobody at the terminal (`claude -p`, the Agent SDKs).
HEADLESS_ENTRYPOINTS = frozenset({"sdk-cli", "sdk-py", "sdk-ts", "sdk", "headless"})


def hiloop_home(env: Mapping[str, str]) -> Path:
    """The SDK's `HILOOP_HOME` rule (hiloop.store.hiloop_home), without importing the SDK."""
    if env.get("HILOOP_HOME"):
        return Path(env["HILOOP_HOME"]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "hiloop"
    return Path(env.get("HOME") or Path.home()) / ".config" / "hiloop"


@dataclass(frozen=True)
class Paths:
    """The plugin's folder: `CLAUDE_PLUGIN_DATA`, else `HILOOP_HOME/claude`."""

    root: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Paths:
        data = env.get("CLAUDE_PLUGIN_DATA")
        return cls(Path(data) if data else hiloop_home(env) / "claude")

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def inbox_for(self, claude_session: str) -> Path:
        return self.inbox / _safe(claude_session)

    @property
    def pid(self) -> Path:
        return self.root / "daemon.pid"

    @property
    def lock(self) -> Path:
        return self.root / "daemon.lock"

    @property
    def log(self) -> Path:
        return self.root / "daemon.log"

    @property
    def state(self) -> Path:
        return self.root / "sessions.json"

    @property
    def unpaired(self) -> Path:
        return self.root / "unpaired"

    @property
    def socket(self) -> Path:
        """The daemon's Unix socket; in the temp folder when the natural path is too long for one."""
        natural = self.root / "daemon.sock"
        if len(os.fsencode(natural)) < 100:
            return natural
        digest = hashlib.sha256(os.fsencode(self.root.resolve())).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"hiloop-{os.getuid()}-{digest}.sock"

    def make(self) -> None:
        for folder in (self.root, self.spool, self.inbox):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return cleaned.strip(".") or "none"


@dataclass(frozen=True)
class Settings:
    """How permission requests behave. From the environment:

    HILOOP_PERMISSION_TIMEOUT   seconds to wait for an answer (default 600 headless, 60 interactive)
    HILOOP_PERMISSION_DEFAULT   what the deadline means: `deny`, or `ask` (no decision: Claude Code
                                asks in the terminal, or denies when nobody is there). Default: deny
                                headless, ask interactive.
    HILOOP_INTERACTIVE          1/0 overrides the guess from CLAUDE_CODE_ENTRYPOINT
    HILOOP_DAEMON_IDLE          seconds the daemon lingers with nothing to do (default 600)
    HILOOP_CLAUDE_PUBLIC        `read` or `respond`: open sessions as public, so the owner can invite
                                guests to watch (guests never decide a permission request)
    """

    interactive: bool
    permission_timeout: float
    on_deadline: str  # "deny" | "ask"
    daemon_idle: float
    public_mode: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        flag = env.get("HILOOP_INTERACTIVE", "").strip().lower()
        if flag in ("1", "true", "yes"):
            interactive = True
        elif flag in ("0", "false", "no"):
            interactive = False
        else:
            interactive = env.get("CLAUDE_CODE_ENTRYPOINT", "cli") not in HEADLESS_ENTRYPOINTS
        timeout = _number(env.get("HILOOP_PERMISSION_TIMEOUT"), 60.0 if interactive else 600.0)
        on_deadline = env.get("HILOOP_PERMISSION_DEFAULT", "").strip().lower()
        if on_deadline not in ("deny", "ask"):
            on_deadline = "ask" if interactive else "deny"
        idle = _number(env.get("HILOOP_DAEMON_IDLE"), 600.0)
        public = env.get("HILOOP_CLAUDE_PUBLIC", "").strip().lower()
        return cls(interactive, min(max(timeout, 1.0), 3500.0), on_deadline, max(idle, 1.0),
                   public if public in ("read", "respond") else None)


def _number(raw: str | None, default: float) -> float:
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def is_paired(env: Mapping[str, str]) -> bool:
    """Whether an agent identity is stored (HILOOP_AGENT names one, or any under HILOOP_HOME/agents)."""
    agents = hiloop_home(env) / "agents"
    name = env.get("HILOOP_AGENT")
    if name:
        return (agents / f"{name}.json").is_file()
    try:
        return any(p.suffix == ".json" for p in agents.iterdir())
    except OSError:
        return False
