"""Argument types shared by the tools, and the checks pydantic cannot express with a useful message."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AwareDatetime, Field, SkipValidation, TypeAdapter, ValidationError

from hiloop.components import Component, actions, parse_components
from hiloop.errors import InvalidComponent

from ._errors import explain

# The schema a client sees is the full component union (with $defs); validation is ours, so a bad
# component comes back as `components[1].buttons[0].action: Field required` instead of pydantic's
# wall of union alternatives.
Components = Annotated[
    list[Component],
    SkipValidation,
    Field(
        description=(
            "What the person sees, top to bottom. Each item is a component object with a `type`: "
            "text (markdown), kv (labelled values), alert, button_group (buttons: the chosen button's "
            "`action` is the answer), metric_grid, table, chart, qa (a form: questions with ids; the answer "
            "maps ids to values), wizard (steps of components), tabs, code, diff, output, image, file, link."
        ),
    ),
]

SessionId = Annotated[
    str,
    Field(description="A session id (s_…) from create_session or list_sessions.", max_length=128),
]

Priority = Literal["low", "normal", "high", "urgent"]

Deadline = Annotated[
    Annotated[int, Field(ge=10, le=30 * 86400)] | AwareDatetime | None,
    SkipValidation,  # checked by deadline_of, with a message that says what to send instead
    Field(
        description=(
            "When it must be answered: seconds from now (e.g. 900), or an RFC 3339 time with a timezone "
            "(e.g. 2026-11-28T22:00:00Z). Omit for no deadline."
        ),
    ),
]
_AWARE: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
_MAX_SECONDS = 30 * 86400

_SID = re.compile(r"^s_[A-Za-z0-9_-]{1,100}$")
_MID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def check_session_id(session_id: str) -> str:
    if not _SID.match(session_id):
        raise ToolError(
            f"session_id must be a session id like s_Ab12Cd34Ef56 (as returned by create_session or "
            f"list_sessions), got {session_id!r}. Call list_sessions to find it."
        )
    return session_id


def check_message_id(message_id: str) -> str:
    if not _MID.match(message_id):
        raise ToolError(
            f"message_id must be the message_id returned by send_message or ask, got {message_id!r}. "
            "Call get_session_timeline to see the session's messages and their ids."
        )
    return message_id


def components_of(raw: Any) -> list[Any]:
    """The validated component models, or a ToolError naming each bad field's path."""
    if isinstance(raw, list) and not raw:
        raise ToolError("components is empty: give at least one component, e.g. [{\"type\": \"text\", \"text\": \"…\"}].")
    try:
        return parse_components(raw)
    except InvalidComponent as exc:
        raise ToolError(explain(exc)) from exc


def deadline_of(value: Any, *, now: datetime | None = None) -> datetime | None:
    """An absolute UTC deadline from seconds-from-now or an RFC 3339 time; a mistake becomes a ToolError."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    current = f"(it is now {now.isoformat(timespec='seconds').replace('+00:00', 'Z')})"
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 10 <= value <= _MAX_SECONDS:
            raise ToolError(f"deadline as seconds from now must be between 10 and {_MAX_SECONDS} (30 days), got {value}.")
        return now + timedelta(seconds=value)
    try:
        when = _AWARE.validate_python(value)
    except ValidationError as exc:
        raise ToolError(
            f"deadline must be seconds from now (e.g. 900) or an RFC 3339 time with a timezone such as "
            f"2026-11-28T22:00:00Z {current}; got {value!r}."
        ) from exc
    if when <= now:
        raise ToolError(f"deadline {value} is in the past {current}. Give a later time, or seconds from now such as 900.")
    return when.astimezone(UTC)


def check_default_action(default_action: str | None, deadline: datetime | None, components: list[Any]) -> None:
    if default_action is None:
        return
    if deadline is None:
        raise ToolError(
            "default_action is what happens when the deadline passes, so it needs a deadline: "
            "add deadline (e.g. 900 for 15 minutes) or drop default_action."
        )
    offered = actions(components)
    if offered and default_action not in offered:
        raise ToolError(
            f"default_action {default_action!r} is not one of the buttons' actions {offered}. "
            "Use one of those, or drop default_action."
        )
