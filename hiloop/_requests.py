"""Requests and their answers: plaintexts (interfaces §2), deadlines, and checking an answer against a request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from hiloop.components import Question, actions, dump_components, is_interactive, parse_components, questions
from hiloop.crypto import Opened
from hiloop.errors import InvalidComponent
from hiloop.models import Response

DeadlineLike = datetime | timedelta | int | float | None


def utc_deadline(value: DeadlineLike) -> datetime | None:
    """A deadline as an aware UTC datetime: a datetime (naive means UTC), a timedelta or seconds from now."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("deadline: give a datetime, a timedelta or a number of seconds")
    if isinstance(value, (int, float)):
        value = timedelta(seconds=value)
    if isinstance(value, timedelta):
        return (datetime.now(timezone.utc) + value).replace(microsecond=0)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    raise ValueError("deadline: give a datetime, a timedelta or a number of seconds")


def message_payload(
    components: Sequence[Any],
    *,
    default_action: str | None = None,
    text: str | None = None,
    deadline: datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """The `message` plaintext and whether it is interactive; raises InvalidComponent."""
    models = parse_components(components)
    if not models:
        raise InvalidComponent("components: give at least one component", [("components", "empty")])
    offered = actions(models)
    if default_action is not None and offered and default_action not in offered:
        raise InvalidComponent(
            f"default_action: {default_action!r} is not one of the buttons' actions ({', '.join(offered)})",
            [("default_action", "not offered")],
        )
    payload: dict[str, Any] = {"v": 1, "type": "message", "components": dump_components(models)}
    if default_action is not None:
        payload["default_action"] = default_action
    if text is not None:
        payload["text"] = text
    if deadline is not None:  # signed, so a reader of the request can trust it over the routing metadata
        payload["deadline"] = deadline.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return payload, is_interactive(models)


def signed_deadline(payload: Mapping[str, Any]) -> datetime | None:
    """The deadline a request's sender signed into it (None when absent or unreadable)."""
    value = payload.get("deadline")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def response_payload(
    request_id: str,
    *,
    action: str | None = None,
    answers: Mapping[str, Any] | None = None,
    text: str | None = None,
    permissions: Sequence[Any] | None = None,
    request: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `response` plaintext; checked against the request's buttons and questions when it is known."""
    if action is None and answers is None and text is None:
        raise ValueError("a response needs an action, answers or a text")
    if action is not None and answers is not None:
        raise ValueError("give an action or answers, not both")
    payload: dict[str, Any] = {"v": 1, "type": "response", "request": request_id}
    components = request.get("components") if request is not None else None
    if action is not None:
        if isinstance(components, list):
            offered = actions(components)
            if offered and action not in offered:
                raise ValueError(f"action {action!r} is not offered; choose one of: {', '.join(offered)}")
        payload["action"] = action
    if answers is not None:
        payload["answers"] = (
            check_answers(questions(components), answers) if isinstance(components, list) else dict(answers)
        )
    if text is not None:
        payload["text"] = text
    if permissions is not None:
        payload["permissions"] = list(permissions)
    return payload


def check_answers(asked: list[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers matched to the questions: known ids, required ones present, values of the right kind.

    Strings are converted where the question says so (a number, a comma-separated multi choice), so
    answers typed in a terminal can be passed as they are.
    """
    by_id = {q.id: q for q in asked}
    out: dict[str, Any] = {}
    for qid, value in answers.items():
        q = by_id.get(qid)
        if q is None:
            raise ValueError(f"answers.{qid}: no such question; questions: {', '.join(by_id) or 'none'}")
        out[qid] = _answer(q, value)
    for q in asked:
        if q.required and q.id not in out:
            raise ValueError(f"answers.{q.id}: an answer is required ({q.prompt})")
    return out


def _answer(q: Question, value: Any) -> Any:
    where = f"answers.{q.id}"
    if q.kind == "open":
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text")
        return value
    if q.kind == "number":
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"{where}: expected a number, got {value!r}") from None
            return int(number) if number.is_integer() and "." not in value else number
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where}: expected a number")
        return value
    options = q.options or []
    if q.kind == "single":
        if value not in options:
            raise ValueError(f"{where}: {value!r} is not one of: {', '.join(options)}")
        return value
    chosen = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
    if not isinstance(chosen, list) or any(v not in options for v in chosen):
        raise ValueError(f"{where}: choose from: {', '.join(options)}")
    return chosen


def response_from(sid: str, request_id: str, opened: Opened, *, seq: int, created_at: datetime) -> Response | None:
    """A Response from a verified `response` plaintext that answers `request_id`, else None."""
    p = opened.payload
    if p.get("type") != "response" or p.get("request") != request_id:
        return None
    action = p.get("action")
    answers = p.get("answers")
    text = p.get("text")
    permissions = p.get("permissions")
    return Response(
        session_id=sid,
        request_id=request_id,
        action=action if isinstance(action, str) else None,
        answers=answers if isinstance(answers, dict) else None,
        text=text if isinstance(text, str) else None,
        permissions=permissions if isinstance(permissions, list) else None,
        responder_role=opened.role,
        responder_id=opened.sender,
        expired=False,
        id=opened.mid,
        seq=seq,
        created_at=created_at,
    )
