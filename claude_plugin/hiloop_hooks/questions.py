"""AskUserQuestion -> a `qa` form in the app; the owner's answers -> the tool's input with `answers`.

AskUserQuestion's input is `{"questions": [{"question", "header", "options": [{"label",
"description"}], "multiSelect"}]}`. Question i becomes the form's question `q<i>` (single or multi
choice over the option labels). Claude Code takes the answers as `updatedInput.answers`, a map from
the question's text to the chosen label (several labels joined by ", ").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hiloop_hooks.events import clip

TOOL = "AskUserQuestion"


def asked(hook: Mapping[str, Any]) -> list[dict[str, Any]]:
    tool_input = hook.get("tool_input")
    raw = tool_input.get("questions") if isinstance(tool_input, Mapping) else None
    return [q for q in raw if isinstance(q, dict) and q.get("question")] if isinstance(raw, list) else []


def components(hook: Mapping[str, Any]) -> list[dict[str, Any]]:
    questions = []
    notes = []
    for i, q in enumerate(asked(hook)):
        labels = [clip(str(o.get("label")), 190) for o in q.get("options") or [] if isinstance(o, Mapping) and o.get("label")]
        item: dict[str, Any] = {"id": f"q{i}", "prompt": clip(str(q["question"]), 1900)}
        if labels:
            item["kind"] = "multi" if q.get("multiSelect") else "single"
            item["options"] = labels
        else:
            item["kind"] = "open"
        questions.append(item)
        for o in q.get("options") or []:
            if isinstance(o, Mapping) and o.get("description"):
                notes.append(f"- **{o.get('label')}**: {o['description']}")
    out: list[dict[str, Any]] = [{"type": "text", "text": "**Claude Code asks you:**"}]
    if notes:
        out.append({"type": "text", "text": clip("\n".join(notes), 8000)})
    out.append({"type": "qa", "title": "Claude Code's question", "questions": questions})
    return out


def answered_input(hook: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """The tool input with the owner's answers, or None when no question was answered."""
    result: dict[str, str] = {}
    for i, q in enumerate(asked(hook)):
        value = answers.get(f"q{i}")
        if value is None or value == "" or value == []:
            continue
        result[str(q["question"])] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if not result:
        return None
    tool_input = hook.get("tool_input")
    base = dict(tool_input) if isinstance(tool_input, Mapping) else {}
    return {**base, "answers": result}


def output(hook: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any] | None:
    """PreToolUse output that runs AskUserQuestion with the answers filled in."""
    updated = answered_input(hook, answers)
    if updated is None:
        return None
    return {
        "hookSpecificOutput": {
            "hookEventName": str(hook.get("hook_event_name") or "PreToolUse"),
            "permissionDecision": "allow",
            "permissionDecisionReason": "Answered from Hiloop",
            "updatedInput": updated,
        }
    }
