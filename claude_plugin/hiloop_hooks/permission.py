"""PermissionRequest -> a `permission_request` message, and the owner's answer -> the hook's decision.

The message shows what Claude Code wants to do (Bash as a code block, Edit/MultiEdit as a diff,
Write as the file's content, an MCP tool with its arguments) and offers buttons:

    allow        run it once
    deny         block it; the response's `text`, if any, is the person's message to Claude
    always       run it and accept Claude Code's `permission_suggestions` (only offered when there are
                 some); `always:<i>` accepts suggestion i only, as does `permissions: [i, …]`

Anything else, and any answer not signed by an owner, decides nothing (the caller checks the role).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hiloop_hooks.events import clip, edit_diff, split_mcp

EVENT = "PermissionRequest"
LANGUAGES = {
    ".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".tsx": "tsx",
    ".json": "json", ".md": "markdown", ".sh": "bash", ".html": "html", ".css": "css", ".go": "go",
    ".rs": "rust", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".sql": "sql", ".txt": "text",
}


@dataclass(frozen=True)
class Answer:
    """The parts of a verified response this module reads."""

    action: str | None
    text: str | None = None
    permissions: Sequence[Any] | None = None


def summary(hook: Mapping[str, Any]) -> str:
    tool = str(hook.get("tool_name") or "a tool")
    tool_input = _input(hook)
    if tool == "Bash":
        return f"Run a command: {clip(tool_input.get('command') or '', 120)}"
    if tool in ("Write", "Edit", "MultiEdit"):
        verb = "Write" if tool == "Write" else "Edit"
        return f"{verb} {tool_input.get('file_path') or 'a file'}"
    mcp = split_mcp(tool)
    if mcp is not None:
        return f"Call {mcp[1]} on the MCP server {mcp[0]}"
    return f"Use {tool}"


def components(hook: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The permission_request message's components."""
    tool = str(hook.get("tool_name") or "")
    tool_input = _input(hook)
    out: list[dict[str, Any]] = [{"type": "text", "text": f"**Claude Code asks:** {summary(hook)}"}]
    context = [{"label": "Project", "value": str(hook.get("cwd") or "")}]
    if hook.get("agent_id"):
        context.append({"label": "Subagent", "value": f"{hook.get('agent_type') or 'agent'} {hook['agent_id']}"})
    if tool == "Bash":
        if tool_input.get("description"):
            context.append({"label": "Why", "value": clip(tool_input["description"], 1000)})
        out.append({"type": "code", "language": "bash", "source": clip(tool_input.get("command") or "")})
    elif tool in ("Edit", "MultiEdit"):
        path = str(tool_input.get("file_path") or "file")
        out.append({"type": "diff", "path": path, "diff": clip(edit_diff(tool, tool_input))})
    elif tool == "Write":
        path = str(tool_input.get("file_path") or "file")
        code: dict[str, Any] = {"type": "code", "title": clip(path, 200), "source": clip(tool_input.get("content") or "")}
        language = LANGUAGES.get(os.path.splitext(path)[1].lower())
        if language:
            code["language"] = language
        out.append(code)
    else:
        mcp = split_mcp(tool)
        if mcp is not None:
            context.append({"label": "MCP server", "value": mcp[0]})
            context.append({"label": "Tool", "value": mcp[1]})
        else:
            context.append({"label": "Tool", "value": tool or "unknown"})
        out.append({"type": "code", "language": "json", "source": clip(json.dumps(tool_input, indent=2, ensure_ascii=False))})
    out.append({"type": "kv", "entries": [e for e in context if e["value"]] or [{"label": "Tool", "value": tool}]})
    buttons = [
        {"label": "Allow", "action": "allow", "variant": "primary"},
        {"label": "Deny", "action": "deny", "variant": "danger"},
    ]
    suggestions = suggestions_of(hook)
    if suggestions:
        label = "Always allow" if len(suggestions) == 1 else "Always allow (all rules)"
        buttons.append({"label": label, "action": "always", "variant": "secondary"})
        if len(suggestions) > 1:
            for i, suggestion in enumerate(suggestions[:10]):
                buttons.append({"label": clip(f"Always: {describe_rule(suggestion)}", 190), "action": f"always:{i}", "variant": "secondary"})
        out.append({"type": "text", "text": "Always allow adds: " + "; ".join(describe_rule(s) for s in suggestions)})
    out.append({"type": "button_group", "buttons": buttons})
    return out


def suggestions_of(hook: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = hook.get("permission_suggestions")
    return [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []


def describe_rule(suggestion: Mapping[str, Any]) -> str:
    kind = suggestion.get("type")
    where = suggestion.get("destination") or "session"
    if kind in ("addRules", "replaceRules"):
        rules = suggestion.get("rules") or []
        names = []
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, Mapping):
                content = rule.get("ruleContent")
                names.append(f"{rule.get('toolName')}({content})" if content else str(rule.get("toolName")))
        return f"{', '.join(names) or 'rules'} ({where})"
    if kind == "addDirectories":
        return f"access to {', '.join(map(str, suggestion.get('directories') or []))} ({where})"
    if kind == "setMode":
        return f"mode {suggestion.get('mode')} ({where})"
    return f"{kind} ({where})"


def decision(hook: Mapping[str, Any], answer: Answer) -> dict[str, Any] | None:
    """The hook output for an owner's answer; None when the answer decides nothing."""
    action = (answer.action or "").strip().lower()
    if action in ("allow", "approve", "yes"):
        return _out({"behavior": "allow"})
    if action in ("deny", "reject", "no"):
        reason = (answer.text or "").strip()
        message = f"Denied from Hiloop: {reason}" if reason else "Denied from Hiloop."
        return _out({"behavior": "deny", "message": message})
    if action == "always" or action.startswith("always:"):
        offered = suggestions_of(hook)
        chosen = _chosen(offered, action, answer.permissions)
        body: dict[str, Any] = {"behavior": "allow"}
        if chosen:
            body["updatedPermissions"] = chosen
        return _out(body)
    return None


def deadline_output(on_deadline: str, timeout: float) -> dict[str, Any] | None:
    """What the deadline means: a deny (headless default) or no decision (Claude Code asks)."""
    if on_deadline == "deny":
        return _out({"behavior": "deny", "message": f"No answer from Hiloop within {timeout:g} s: denied."})
    return None


def _chosen(offered: list[dict[str, Any]], action: str, permissions: Sequence[Any] | None) -> list[dict[str, Any]]:
    if permissions:
        picked = []
        for p in permissions:
            if isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(offered):
                picked.append(offered[p])
            elif isinstance(p, dict) and p in offered:
                picked.append(p)
        return picked
    if action.startswith("always:"):
        index = action.partition(":")[2]
        return [offered[int(index)]] if index.isdigit() and int(index) < len(offered) else []
    return offered


def _out(body: dict[str, Any]) -> dict[str, Any]:
    return {"hookSpecificOutput": {"hookEventName": EVENT, "decision": body}}


def _input(hook: Mapping[str, Any]) -> Mapping[str, Any]:
    tool_input = hook.get("tool_input")
    return tool_input if isinstance(tool_input, Mapping) else {}
