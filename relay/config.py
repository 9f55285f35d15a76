"""The relay's one typed configuration object. Handlers never read the environment; the CLI builds this."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_WAIT = 60.0
DEFAULT_KEEPALIVE = 15.0
DEFAULT_LOG_LEVEL = "info"
DB_FILENAME = "relay.db"
DEFAULT_WEBHOOK_BACKOFF = 1.0  # seconds before the first retry; doubled after each failure
DEFAULT_WEBHOOK_BACKOFF_CAP = 600.0
DEFAULT_WEBHOOK_MAX_ATTEMPTS = 12
DEFAULT_WEBHOOK_TIMEOUT = 5.0
DEFAULT_WEBHOOK_CONCURRENCY = 8


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    """The base directory for the relay's data: `$HILOOP_HOME`, else `~/.local/share/hiloop`
    (or `$XDG_DATA_HOME/hiloop`)."""
    env = os.environ if environ is None else environ
    if env.get("HILOOP_HOME"):
        return Path(env["HILOOP_HOME"]).expanduser()
    data = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(data).expanduser() / "hiloop"


def default_db_path() -> Path:
    return default_home() / DB_FILENAME


@dataclass
class RelayConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_path: Path = field(default_factory=default_db_path)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_wait: float = DEFAULT_MAX_WAIT  # the longest long-poll hold, seconds
    keepalive: float = DEFAULT_KEEPALIVE  # SSE keep-alive comment interval, seconds
    public_url: str | None = None  # how people reach this relay (links); default http://host:port
    log_level: str = DEFAULT_LOG_LEVEL
    announce_setup: bool = True  # print the set-up link to stdout when there is no owner yet
    webhook_backoff: float = DEFAULT_WEBHOOK_BACKOFF  # first retry delay; then ×2 per failure, capped
    webhook_backoff_cap: float = DEFAULT_WEBHOOK_BACKOFF_CAP
    webhook_max_attempts: int = DEFAULT_WEBHOOK_MAX_ATTEMPTS  # then the delivery is marked failed
    webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT  # one delivery attempt, connect to response
    webhook_concurrency: int = DEFAULT_WEBHOOK_CONCURRENCY  # deliveries in flight at once

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path).expanduser()

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> RelayConfig:
        """Defaults, then `HILOOP_RELAY_HOST`, `HILOOP_RELAY_PORT`, `HILOOP_RELAY_DB`, `HILOOP_PUBLIC_URL`,
        `HILOOP_LOG_LEVEL`, then explicit overrides (flags; None means "not given")."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"db_path": default_home(env) / DB_FILENAME}
        if env.get("HILOOP_RELAY_HOST"):
            values["host"] = env["HILOOP_RELAY_HOST"]
        if env.get("HILOOP_RELAY_PORT"):
            values["port"] = int(env["HILOOP_RELAY_PORT"])
        if env.get("HILOOP_RELAY_DB"):
            values["db_path"] = Path(env["HILOOP_RELAY_DB"])
        if env.get("HILOOP_PUBLIC_URL"):
            values["public_url"] = env["HILOOP_PUBLIC_URL"]
        if env.get("HILOOP_LOG_LEVEL"):
            values["log_level"] = env["HILOOP_LOG_LEVEL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
