"""SDK result objects → the tools' output models."""

from __future__ import annotations

from typing import Any

from ._models import Answer, GuestLinkOut, SessionOut, TimelineEntry, TimelineOut


def session(s: Any, *, title: str | None = None) -> SessionOut:
    return SessionOut(
        session_id=s.id,
        title=s.title or title or None,
        status=s.status,
        priority=s.priority,
        deadline=s.deadline,
        is_public=s.is_public,
        public_mode=s.public_mode,
        kind=s.kind,
        open_requests=s.open_requests,
        created_at=s.created_at,
    )


def guest_link(link: Any, *, session_id: str, label: str) -> GuestLinkOut:
    return GuestLinkOut(
        session_id=session_id,
        guest_id=link.guest_id,
        label=link.label or label,
        join_url=link.join_url,
        expires_at=link.expires_at,
    )


def timeline(t: Any, *, session_id: str) -> TimelineOut:
    return TimelineOut(
        session_id=session_id,
        messages=[
            TimelineEntry(
                seq=m.seq,
                message_id=m.id,
                sender=m.sender_id,
                role=m.role,
                type=m.type,
                status=m.status,
                reply_to=m.reply_to,
                created_at=m.created_at,
                content=without_attachment_data(m.content),
            )
            for m in t.messages
        ],
        cursor=t.cursor,
        session_status=t.session_status,
        skipped=t.skipped,
    )


def answer(r: Any, *, session_id: str, message_id: str, waited: float) -> Answer:
    return Answer(
        status="expired" if r.expired else "answered",
        session_id=session_id,
        message_id=message_id,
        action=r.action,
        answers=r.answers,
        text=r.text,
        responder_role=r.responder_role,
        responder_id=r.responder_id,
        waited_seconds=round(waited, 1),
    )


def without_attachment_data(value: Any) -> Any:
    """The content with each image's and file's base64 `data` replaced by a note of its size: the bytes
    would fill a model's context and tell it nothing it can read."""
    if isinstance(value, list):
        return [without_attachment_data(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: without_attachment_data(v) for k, v in value.items()}
    if out.get("type") in ("image", "file") and isinstance(out.get("data"), str):
        out["data"] = f"<{out.get('size', '?')} bytes, not shown>"
    return out
