"""Events waiting to be sent: one file per hook input under spool/, named `ev.*.json`.

scripts/hiloop-stream writes them in the shell (mktemp, then a rename to `.json` once complete); Python
writers do the same. The daemon reads them oldest first (by modification time, then name), and
deletes each only once the relay has stored it, so nothing is lost while the relay is down or the
daemon is not running.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STALE_PARTIAL = 60.0  # seconds after which an unfinished file (a writer that died) is removed


def put(folder: Path, event: Mapping[str, Any]) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    while True:
        tmp = folder / f"ev.{time.time_ns()}.{os.getpid()}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            continue
    with os.fdopen(fd, "w") as f:
        json.dump(event, f, ensure_ascii=False)
    final = tmp.with_name(tmp.name + ".json")
    os.replace(tmp, final)
    return final


def _stamp(name: str, mtime_ns: int) -> int:
    """When the event's hook started: the name's nanoseconds, else the file's modification time."""
    parts = name.split(".")
    if len(parts) > 2 and parts[1].isdigit() and len(parts[1]) >= 18:
        return int(parts[1])
    return mtime_ns


def ready(folder: Path) -> list[Path]:
    """Complete event files, oldest first; unfinished ones older than a minute are cleared away."""
    found: list[tuple[int, str, Path]] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith("ev."):
            continue
        try:
            st = entry.stat()
        except OSError:
            continue
        if entry.name.endswith(".json"):
            found.append((_stamp(entry.name, st.st_mtime_ns), entry.name, Path(entry.path)))
        elif now - st.st_mtime > STALE_PARTIAL:
            Path(entry.path).unlink(missing_ok=True)
    found.sort()
    return [p for _, _, p in found]


def read(path: Path) -> dict[str, Any] | None:
    """The event in `path`; None (and the file is removed) when it is not a JSON object."""
    try:
        event = json.loads(path.read_bytes())
    except OSError:
        return None
    except ValueError:
        path.unlink(missing_ok=True)
        return None
    if not isinstance(event, dict):
        path.unlink(missing_ok=True)
        return None
    return event
