"""Instructions from the app, waiting to reach Claude: one JSON file each under inbox/<session>/.

The daemon writes `<seq>-<mid>.json` ({"mid", "text"}) when an owner's `instruction` arrives. A hook
claims a file by renaming it (only one hook can win the rename), so each instruction reaches Claude
once: as `additionalContext` of the next tool event or prompt of the main agent, or as the reason of
a Stop hook that blocks (never when `stop_hook_active`, so Claude cannot loop).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONTEXT_EVENTS = frozenset({"PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit", "SessionStart"})
STOP_EVENTS = frozenset({"Stop"})


def write(folder: Path, seq: int, mid: str, text: str) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe_mid = "".join(c if c.isalnum() or c in "-_" else "_" for c in mid)
    path = folder / f"{seq:012d}-{safe_mid}.json"
    tmp = folder / f".{path.name}.tmp"
    tmp.write_text(json.dumps({"mid": mid, "text": text}, ensure_ascii=False))
    os.replace(tmp, path)
    return path


def pending(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except OSError:
        return []


def claim(folder: Path) -> list[dict[str, Any]]:
    """Take every waiting instruction (oldest first); a file another hook took first is skipped."""
    taken = []
    for path in pending(folder):
        mine = path.with_name(f".{path.name}.{os.getpid()}.taken")
        try:
            os.rename(path, mine)
        except OSError:
            continue
        try:
            item = json.loads(mine.read_text())
        except (OSError, ValueError):
            item = None
        finally:
            mine.unlink(missing_ok=True)
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            taken.append(item)
    return taken


def wording(items: list[dict[str, Any]]) -> str:
    if len(items) == 1:
        return f"Instruction from the user, sent from the Hiloop app: {items[0]['text']}"
    lines = "\n".join(f"{i}. {item['text']}" for i, item in enumerate(items, 1))
    return f"Instructions from the user, sent from the Hiloop app:\n{lines}"


def can_deliver(hook: Mapping[str, Any]) -> bool:
    """Whether this hook's output can carry an instruction to the main agent."""
    if hook.get("agent_id"):
        return False
    event = hook.get("hook_event_name")
    if event in STOP_EVENTS:
        return not hook.get("stop_hook_active")
    return event in CONTEXT_EVENTS


def output_for(hook: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    event = str(hook.get("hook_event_name"))
    text = wording(items)
    if event in STOP_EVENTS:
        return {"decision": "block", "reason": text}
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}


def deliver(hook: Mapping[str, Any], folder: Path) -> dict[str, Any] | None:
    """The hook output that hands this session's waiting instructions to Claude, or None."""
    if not can_deliver(hook):
        return None
    items = claim(folder)
    return output_for(hook, items) if items else None
