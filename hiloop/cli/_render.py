"""Plain-text rendering of sessions, messages and components for the terminal."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hiloop.models import TimelineMessage


def when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def until(dt: datetime | None) -> str:
    """`in 4m 10s`, `3m ago`, or "" without a deadline."""
    if dt is None:
        return ""
    seconds = int((dt - datetime.now(timezone.utc)).total_seconds())
    span = abs(seconds)
    text = f"{span // 3600}h {span % 3600 // 60}m" if span >= 3600 else f"{span // 60}m {span % 60}s"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def summary(m: TimelineMessage, width: int = 72) -> str:
    """One line about a message's content."""
    c = m.content
    kind = c.get("type")
    if kind == "response":
        parts = []
        if c.get("action"):
            parts.append(f"action={c['action']}")
        if isinstance(c.get("answers"), dict):
            parts.extend(f"{k}={v}" for k, v in c["answers"].items())
        if c.get("text"):
            parts.append(repr(c["text"]))
        line = f"answers {c.get('request', '?')}: " + ", ".join(parts)
    elif kind in ("instruction", "title"):
        line = str(c.get("text") or c.get("title") or "")
    elif kind == "tool_event":
        line = f"{c.get('event', 'event')}"
    else:
        line = str(c.get("text") or "")
        for comp in c.get("components") or []:
            if not isinstance(comp, dict):
                continue
            if comp.get("type") in ("text", "alert") and comp.get("text"):
                line = line or str(comp["text"])
            elif not line and comp.get("title"):
                line = str(comp["title"])
        line = line or ", ".join(str(comp.get("type")) for comp in c.get("components") or [] if isinstance(comp, dict))
    line = " ".join(line.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def components(items: list[Any], indent: str = "    ") -> list[str]:
    """A readable, plain-text rendering of components (nested ones indented)."""
    lines: list[str] = []
    for c in items:
        if not isinstance(c, dict):
            continue
        t = c.get("type")
        if c.get("title"):
            lines.append(f"{indent}## {c['title']}")
        if t == "text":
            lines.extend(indent + ln for ln in str(c.get("text", "")).splitlines() or [""])
        elif t == "alert":
            lines.append(f"{indent}[{str(c.get('level', 'info')).upper()}] {c.get('text', '')}")
        elif t == "kv":
            for e in c.get("entries", []):
                lines.append(f"{indent}{e.get('label')}: {e.get('value')}")
        elif t == "button_group":
            lines.append(indent + "  ".join(f"[{b.get('label')} → --action {b.get('action')}]" for b in c.get("buttons", [])))
        elif t == "metric_grid":
            for mtr in c.get("metrics", []):
                extra = " ".join(str(x) for x in (mtr.get("change"), mtr.get("trend")) if x)
                lines.append(f"{indent}{mtr.get('label')}: {mtr.get('value')} {extra}".rstrip())
        elif t == "table":
            lines.append(indent + " | ".join(str(h) for h in c.get("headers", [])))
            for row in c.get("rows", []):
                lines.append(indent + " | ".join("" if v is None else str(v) for v in row))
        elif t == "chart":
            lines.append(f"{indent}({c.get('kind')} chart) " + ", ".join(str(x) for x in c.get("labels", [])))
            if c.get("values") is not None:
                lines.append(f"{indent}  values: {c['values']}")
            for s in c.get("series") or []:
                lines.append(f"{indent}  {s.get('name')}: {s.get('values')}")
        elif t == "qa":
            for q in c.get("questions", []):
                opts = f" ({' / '.join(q['options'])})" if q.get("options") else ""
                req = "" if q.get("required", True) else " (optional)"
                lines.append(f"{indent}? {q.get('prompt')}{opts}{req}  → --answer {q.get('id')}=…  [{q.get('kind')}]")
        elif t == "wizard":
            for i, step in enumerate(c.get("steps", []), 1):
                lines.append(f"{indent}Step {i}: {step.get('title')}")
                lines.extend(components(step.get("components", []), indent + "  "))
        elif t == "tabs":
            for tab in c.get("tabs", []):
                lines.append(f"{indent}[tab] {tab.get('label')}")
                lines.extend(components(tab.get("children", []), indent + "  "))
        elif t == "code":
            lines.append(f"{indent}```{c.get('language') or ''}")
            lines.extend(indent + ln for ln in str(c.get("source", "")).splitlines())
            lines.append(f"{indent}```")
        elif t == "diff":
            if c.get("path"):
                lines.append(f"{indent}{c['path']}")
            if c.get("diff") is not None:
                lines.extend(indent + ln for ln in str(c["diff"]).splitlines())
            else:
                lines.append(f"{indent}(before: {len(str(c.get('before', '')))} chars, after: {len(str(c.get('after', '')))} chars)")
        elif t == "output":
            lines.append(f"{indent}$ {c.get('command')}  (exit {c.get('exit_code')})")
            lines.extend(indent + ln for ln in str(c.get("stdout", "")).splitlines())
            lines.extend(indent + "! " + ln for ln in str(c.get("stderr", "")).splitlines())
        elif t in ("image", "file"):
            lines.append(f"{indent}[{t}] {c.get('name')} ({c.get('media_type')}, {c.get('size')} bytes)")
        elif t == "link":
            lines.append(f"{indent}{c.get('label') or ''} <{c.get('url')}>".replace(" <", " <", 1).strip())
        else:
            lines.append(f"{indent}[{t}]")
    return lines
