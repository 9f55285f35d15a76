"""An MCP server's elicitation (Claude Code's Elicitation hook) -> a `qa` form; answers -> `content`.

The hook input carries `mcp_server_name`, `message` and, for forms, `requested_schema`: a flat JSON
schema whose properties are strings (with `enum` or `oneOf` for a choice), numbers, integers, booleans
or arrays of enum strings. Property `p` becomes question `p` (ids are property names); a boolean is a
yes/no choice. The form has a "Decline" button too: the owner answers either the form (accept, with
the answers converted back to the schema's types) or the button (decline).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hiloop_hooks.events import clip

EVENT = "Elicitation"
QUESTION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def properties(hook: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    schema = hook.get("requested_schema")
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping):
        return {}
    return {k: dict(v) for k, v in props.items() if isinstance(v, Mapping) and QUESTION_ID.match(str(k))}


def _choices(prop: Mapping[str, Any]) -> list[str] | None:
    if isinstance(prop.get("enum"), list):
        return [str(x) for x in prop["enum"]]
    if isinstance(prop.get("oneOf"), list):
        return [str(o.get("const")) for o in prop["oneOf"] if isinstance(o, Mapping) and "const" in o]
    items = prop.get("items")
    if prop.get("type") == "array" and isinstance(items, Mapping):
        return _choices(items)
    return None


def question(name: str, prop: Mapping[str, Any], required: bool) -> dict[str, Any]:
    prompt = str(prop.get("title") or prop.get("description") or name)
    q: dict[str, Any] = {"id": name, "prompt": clip(prompt, 1900), "required": required}
    kind = prop.get("type")
    choices = _choices(prop)
    if kind == "boolean":
        q.update(kind="single", options=["yes", "no"])
    elif choices:
        q.update(kind="multi" if kind == "array" else "single", options=[clip(c, 190) for c in choices])
    elif kind in ("number", "integer"):
        q["kind"] = "number"
    else:
        q["kind"] = "open"
    return q


def components(hook: Mapping[str, Any]) -> list[dict[str, Any]]:
    server = str(hook.get("mcp_server_name") or "an MCP server")
    out: list[dict[str, Any]] = [
        {"type": "text", "text": f"**{server} asks:** {clip(hook.get('message') or '', 8000)}"},
    ]
    schema = hook.get("requested_schema")
    required = set(schema.get("required") or []) if isinstance(schema, Mapping) else set()
    props = properties(hook)
    if props:
        out.append({"type": "qa", "title": clip(server, 190),
                    "questions": [question(k, v, k in required) for k, v in props.items()]})
    out.append({"type": "button_group", "buttons": [{"label": "Decline", "action": "decline", "variant": "danger"}]})
    return out


def content(hook: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in the schema's types."""
    out: dict[str, Any] = {}
    for name, prop in properties(hook).items():
        if name not in answers:
            continue
        value = answers[name]
        kind = prop.get("type")
        if kind == "boolean":
            out[name] = str(value).lower() in ("yes", "true", "1")
        elif kind == "integer":
            out[name] = int(float(value))
        elif kind == "number":
            out[name] = float(value) if not isinstance(value, (int, float)) else value
        elif kind == "array":
            out[name] = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
        else:
            out[name] = str(value)
    return out


def output(hook: Mapping[str, Any], action: str | None, answers: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The hook output for the owner's answer: accept with content, or decline; None decides nothing."""
    if isinstance(answers, Mapping):
        try:
            body: dict[str, Any] = {"hookEventName": EVENT, "action": "accept", "content": content(hook, answers)}
        except (TypeError, ValueError):
            return None
        return {"hookSpecificOutput": body}
    if action in ("decline", "cancel"):
        return {"hookSpecificOutput": {"hookEventName": EVENT, "action": action}}
    return None
