"""What every command shares: error reporting, JSON output, the relay URL to use."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from hiloop.crypto import CryptoError
from hiloop.errors import HiloopError


class CliError(Exception):
    """An expected failure: one line for stderr and an exit status (2 for a usage mistake)."""

    def __init__(self, message: str, status: int = 1, *, usage: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.usage = usage


def run_command(fn: Callable[[], int | None]) -> int:
    """Run a command; turn expected errors into a CliError (one line, no traceback)."""
    try:
        return fn() or 0
    except CliError:
        raise
    except KeyboardInterrupt:
        raise CliError("interrupted", 130) from None
    except CryptoError as exc:
        raise CliError(f"verification failed: {exc}") from None
    except HiloopError as exc:  # ConfigError, APIError, TransportError, PairingError, InvalidComponent, …
        raise CliError(str(exc)) from None
    except ValueError as exc:  # an answer that does not fit the request
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(str(exc)) from None


def print_json(value: Any) -> None:
    def default(o: Any) -> Any:
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        raise TypeError(f"not serialisable: {type(o).__name__}")

    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    print(json.dumps(value, indent=2, ensure_ascii=False, default=default))


def out(text: str = "") -> None:
    print(text)
    sys.stdout.flush()


def relay_url_from(explicit: str | None) -> str:
    """--relay, else HILOOP_URL, else the owner's relay on this machine."""
    if explicit:
        return explicit
    if os.environ.get("HILOOP_URL"):
        return os.environ["HILOOP_URL"]
    from hiloop.store import load_owner, owner_path

    if owner_path().exists():
        return load_owner().relay_url
    raise CliError("no relay URL: pass --relay URL or set HILOOP_URL", 2, usage=True)
