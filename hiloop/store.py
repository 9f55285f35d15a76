"""The local store of identities: `HILOOP_HOME` (default `~/.config/hiloop`).

    HILOOP_HOME/
      agents/<name>.json   one paired agent: relay URL, agent id, API key, private keys, pinned owner keys
      owner.json           the owner's secret, id and device token (the terminal client)

Every file is written atomically (a temporary file in the same folder, then a rename) with mode 0600,
in folders with mode 0700. Nothing here talks to the network.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hiloop.errors import ConfigError

__all__ = [
    "AgentCredentials",
    "OwnerCredentials",
    "agent_path",
    "delete_agent",
    "hiloop_home",
    "list_agents",
    "load_agent",
    "load_owner",
    "owner_path",
    "save_agent",
    "save_owner",
    "write_private",
]

AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PAIR_HINT = "pair one with `hiloop agent add NAME`"


class AgentCredentials(BaseModel):
    """What an agent needs to act: its relay, its credential, its private keys and its owner's keys."""

    model_config = ConfigDict(extra="ignore")

    v: int = 1
    name: str
    relay_url: str
    agent_id: str
    api_key: str
    x25519_sk: str  # b64u
    ed25519_seed: str  # b64u
    owner_id: str
    owner_x25519: str  # b64u, pinned at pairing
    owner_ed25519: str  # b64u, pinned at pairing
    agent_cert: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=lambda: _now())


class OwnerCredentials(BaseModel):
    """The owner's secret (every owner key derives from it), id and this device's token."""

    model_config = ConfigDict(extra="ignore")

    v: int = 1
    relay_url: str
    owner_id: str
    secret: str  # b64u of 32 bytes
    device_token: str
    created_at: str = Field(default_factory=lambda: _now())


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hiloop_home(env: Mapping[str, str] | None = None) -> Path:
    """`HILOOP_HOME`, else `$XDG_CONFIG_HOME/hiloop`, else `~/.config/hiloop`."""
    env = os.environ if env is None else env
    if env.get("HILOOP_HOME"):
        return Path(env["HILOOP_HOME"]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "hiloop"
    return Path.home() / ".config" / "hiloop"


def _home(home: str | Path | None) -> Path:
    return Path(home).expanduser() if home is not None else hiloop_home()


def agent_path(name: str, home: str | Path | None = None) -> Path:
    check_agent_name(name)
    return _home(home) / "agents" / f"{name}.json"


def owner_path(home: str | Path | None = None) -> Path:
    return _home(home) / "owner.json"


def check_agent_name(name: str) -> str:
    if not AGENT_NAME.match(name):
        raise ConfigError(
            f"invalid agent name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by this user only (0600, folder 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"cannot read {path}: not a JSON object")
    return data


def save_agent(creds: AgentCredentials, home: str | Path | None = None) -> Path:
    path = agent_path(creds.name, home)
    write_private(path, (creds.model_dump_json(indent=2) + "\n").encode("utf-8"))
    return path


def _agent_from(path: Path) -> AgentCredentials:
    try:
        return AgentCredentials.model_validate(_read(path))
    except ValidationError as exc:
        raise ConfigError(f"{path} is not a valid agent file: {exc.errors()[0]['msg']}") from exc


def list_agents(home: str | Path | None = None) -> list[AgentCredentials]:
    """Every stored agent, sorted by name."""
    folder = _home(home) / "agents"
    if not folder.is_dir():
        return []
    return [_agent_from(p) for p in sorted(folder.glob("*.json"))]


def delete_agent(name: str, home: str | Path | None = None) -> bool:
    try:
        agent_path(name, home).unlink()
    except FileNotFoundError:
        return False
    return True


def load_agent(
    api_key: str | None = None,
    name: str | None = None,
    home: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> AgentCredentials:
    """The stored agent whose API key is `api_key`; else the one named `name` or `HILOOP_AGENT`; else the only one."""
    env = os.environ if env is None else env
    if api_key is not None:
        for creds in list_agents(home):
            if creds.api_key == api_key:
                return creds
        raise ConfigError(
            f"no agent stored in {_home(home) / 'agents'} has this API key; the agent's keys are needed "
            f"to encrypt, so {PAIR_HINT} (or point HILOOP_HOME at the folder that holds it)"
        )
    name = name or env.get("HILOOP_AGENT") or None
    if name:
        path = agent_path(name, home)
        try:
            return _agent_from(path)
        except FileNotFoundError:
            raise ConfigError(f"no agent named {name!r} in {path.parent}; {PAIR_HINT}") from None
    agents = list_agents(home)
    if not agents:
        raise ConfigError(f"no agent is paired (looked in {_home(home) / 'agents'}); {PAIR_HINT}")
    if len(agents) > 1:
        names = ", ".join(a.name for a in agents)
        raise ConfigError(f"several agents are stored ({names}); choose one with HILOOP_AGENT=NAME or api_key=")
    return agents[0]


def save_owner(creds: OwnerCredentials, home: str | Path | None = None) -> Path:
    path = owner_path(home)
    write_private(path, (creds.model_dump_json(indent=2) + "\n").encode("utf-8"))
    return path


def load_owner(home: str | Path | None = None) -> OwnerCredentials:
    path = owner_path(home)
    try:
        data = _read(path)
    except FileNotFoundError:
        raise ConfigError(
            f"no owner is set up on this machine ({path} is missing); run `hiloop owner init SETUP_LINK` "
            "on a fresh relay, or `hiloop owner login RELAY_URL RECOVERY_KEY`"
        ) from None
    try:
        return OwnerCredentials.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path} is not a valid owner file: {exc.errors()[0]['msg']}") from exc
