"""A hook's input -> what a person sees in the app: the `data` of a `tool_event` plaintext.

Pure functions of a dict. Long text is clipped (the relay takes at most 1 MiB per message). The
fields, by event (every event may add `agent_id` and `agent_type` inside a subagent):

    SessionStart        source, project
    UserPromptSubmit    prompt
    PreToolUse          tool, tool_use_id, and the tool's input as below
    PostToolUse         the same, plus the result: Bash stdout/stderr/interrupted; others `result`
    PostToolUseFailure  the same, plus error
    Notification        message, notification_type
    SubagentStart       agent_id, agent_type
    SubagentStop        agent_id, agent_type, last_message
    PreCompact          trigger
    Stop                last_message
    SessionEnd          reason

Tool inputs: Bash `command`, `description`; Write `path`, `content`; Edit/MultiEdit `path`, `diff`
(unified); Read/NotebookEdit `path`; Glob/Grep `pattern`, `path`; WebFetch `url`; WebSearch `query`;
Agent/Task `description`, `prompt`, `subagent_type`; MCP tools `server`, `mcp_tool`, `args`;
anything else `input` (JSON).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from typing import Any

CLIP = 32_000
SHORT_CLIP = 4_000


def clip(value: Any, limit: int = CLIP) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def tool_event(hook: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(event name, data) for one hook input."""
    event = str(hook.get("hook_event_name") or "unknown")
    data: dict[str, Any] = {}
    for key in ("agent_id", "agent_type"):
        if hook.get(key):
            data[key] = str(hook[key])
    tool = hook.get("tool_name")
    if isinstance(tool, str) and tool:
        data["tool"] = tool
        if hook.get("tool_use_id"):
            data["tool_use_id"] = str(hook["tool_use_id"])
        tool_input = hook.get("tool_input")
        data.update(describe_input(tool, tool_input if isinstance(tool_input, Mapping) else {}))
    if event == "PostToolUse" and isinstance(tool, str):
        data.update(describe_response(tool, hook.get("tool_response")))
    elif event == "PostToolUseFailure":
        data["error"] = clip(hook.get("error") or "", SHORT_CLIP)
        if hook.get("is_interrupt"):
            data["interrupted"] = True
    elif event == "UserPromptSubmit":
        data["prompt"] = clip(hook.get("prompt") or "")
    elif event == "SessionStart":
        data["source"] = str(hook.get("source") or "")
        data["project"] = project_name(hook)
    elif event == "SessionEnd":
        data["reason"] = str(hook.get("reason") or "")
    elif event in ("Stop", "SubagentStop"):
        if hook.get("last_assistant_message"):
            data["last_message"] = clip(hook["last_assistant_message"], SHORT_CLIP)
    elif event == "Notification":
        data["message"] = clip(hook.get("message") or "", SHORT_CLIP)
        if hook.get("notification_type"):
            data["notification_type"] = str(hook["notification_type"])
    elif event == "PreCompact":
        data["trigger"] = str(hook.get("trigger") or "")
    return event, data


def project_name(hook: Mapping[str, Any]) -> str:
    cwd = str(hook.get("cwd") or "")
    return os.path.basename(cwd.rstrip("/")) or cwd or "Claude Code"


def split_mcp(tool: str) -> tuple[str, str] | None:
    """`mcp__server__tool` -> (server, tool); plugin servers are `mcp__plugin_<plugin>_<server>__tool`."""
    if not tool.startswith("mcp__"):
        return None
    server, sep, name = tool[len("mcp__") :].partition("__")
    return (server, name) if sep and server and name else None


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def edit_diff(tool: str, tool_input: Mapping[str, Any]) -> str:
    path = str(tool_input.get("file_path") or "")
    if tool == "MultiEdit":
        edits = tool_input.get("edits") or []
        parts = [
            unified_diff(path, str(e.get("old_string") or ""), str(e.get("new_string") or ""))
            for e in edits
            if isinstance(e, Mapping)
        ]
        return "".join(parts)
    return unified_diff(path, str(tool_input.get("old_string") or ""), str(tool_input.get("new_string") or ""))


def describe_input(tool: str, tool_input: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a tool's input a person needs to judge it."""
    get = tool_input.get
    if tool == "Bash":
        data: dict[str, Any] = {"command": clip(get("command") or "")}
        if get("description"):
            data["description"] = clip(get("description"), SHORT_CLIP)
        if get("run_in_background"):
            data["background"] = True
        return data
    if tool == "Write":
        return {"path": str(get("file_path") or ""), "content": clip(get("content") or "")}
    if tool in ("Edit", "MultiEdit"):
        data = {"path": str(get("file_path") or ""), "diff": clip(edit_diff(tool, tool_input))}
        if get("replace_all"):
            data["replace_all"] = True
        return data
    if tool in ("Read", "NotebookEdit", "NotebookRead"):
        return {"path": str(get("file_path") or get("notebook_path") or "")}
    if tool in ("Glob", "Grep"):
        data = {"pattern": clip(get("pattern") or "", SHORT_CLIP)}
        if get("path"):
            data["path"] = str(get("path"))
        return data
    if tool == "WebFetch":
        return {"url": clip(get("url") or "", SHORT_CLIP)}
    if tool == "WebSearch":
        return {"query": clip(get("query") or "", SHORT_CLIP)}
    if tool in ("Agent", "Task"):
        return {
            "description": clip(get("description") or "", SHORT_CLIP),
            "prompt": clip(get("prompt") or ""),
            "subagent_type": str(get("subagent_type") or ""),
        }
    mcp = split_mcp(tool)
    if mcp is not None:
        return {"server": mcp[0], "mcp_tool": mcp[1], "args": clip(dict(tool_input))}
    return {"input": clip(dict(tool_input))}


def describe_response(tool: str, response: Any) -> dict[str, Any]:
    """What a tool did, from PostToolUse's `tool_response`."""
    if tool == "Bash" and isinstance(response, Mapping):
        data: dict[str, Any] = {
            "stdout": clip(response.get("stdout") or ""),
            "stderr": clip(response.get("stderr") or ""),
        }
        if response.get("interrupted"):
            data["interrupted"] = True
        return data
    if tool in ("Write", "Edit", "MultiEdit") and isinstance(response, Mapping):
        return {"result": str(response.get("type") or "done")}
    if response is None:
        return {}
    return {"result": clip(_text_of(response), SHORT_CLIP)}


def _text_of(response: Any) -> Any:
    """MCP-style content lists become their text; anything else stays as it is."""
    if isinstance(response, list) and all(isinstance(b, Mapping) for b in response):
        texts = [str(b.get("text")) for b in response if b.get("type") == "text"]
        if texts:
            return "\n".join(texts)
    return response
