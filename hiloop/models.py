"""What the SDK returns: plain, frozen pydantic models (decrypted content, no envelopes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Activity", "Agent", "FeedItem", "GuestLink", "ReaderSync", "Response", "SentMessage", "Session",
           "SessionView", "Timeline", "TimelineMessage", "Webhook", "WebhookEvent"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Session(_Result):
    """A session with its decrypted title ("" when it has none or it cannot be read)."""

    id: str
    title: str = ""
    kind: str = "default"
    priority: str = "normal"
    deadline: datetime | None = None
    status: str = "open"
    is_public: bool = False
    public_mode: str = "respond"
    agent_id: str = ""
    epoch: int = 0
    open_requests: int = 0
    last_seq: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


class SentMessage(_Result):
    id: str
    seq: int
    session_id: str
    status: str = "none"
    created_at: datetime | None = None


class Response(_Result):
    """A verified answer to a request, or (expired=True) the request's default once its deadline passed.

    `responder_role` comes from the responder's certificate, never from the message content.
    """

    session_id: str
    request_id: str
    action: str | None = None
    answers: dict[str, Any] | None = None
    text: str | None = None
    permissions: list[Any] | None = None
    responder_role: str | None = None
    responder_id: str | None = None
    expired: bool = False
    id: str | None = None  # the response message's mid
    seq: int | None = None
    created_at: datetime | None = None


class TimelineMessage(_Result):
    """One verified, decrypted message. `role` is the sender certificate's; `type` the routing type."""

    seq: int
    id: str
    sender_id: str
    role: str
    type: str
    content: dict[str, Any]
    status: str
    created_at: datetime
    reply_to: str | None = None
    priority: str = "normal"
    requires_response: bool = False
    deadline: datetime | None = None


class Timeline(_Result):
    """Messages after a cursor. Messages that fail verification are left out (`skipped` counts them)."""

    session_id: str
    messages: list[TimelineMessage] = Field(default_factory=list)
    cursor: int = 0
    session_status: str = "open"
    skipped: int = 0


class GuestLink(_Result):
    """A guest invitation. `join_url` carries the guest's secret in its fragment: share it, never log it."""

    session_id: str
    guest_id: str
    label: str
    token: str
    join_url: str
    expires_at: datetime


class FeedItem(_Result):
    """An open request in the owner's feed, decrypted."""

    session: Session
    message: TimelineMessage
    agent_name: str = ""


class SessionView(_Result):
    """A session and its whole decrypted timeline."""

    session: Session
    messages: list[TimelineMessage]


class Agent(_Result):
    """A paired agent as the owner sees it. `verified` is True when its certificate checks with the owner's key."""

    agent_id: str
    name: str
    fingerprint: str
    verified: bool
    created_at: datetime | None = None
    last_seen: datetime | None = None


class Activity(_Result):
    """An agent's figures, computed by the relay from routing metadata only.

    Response times are seconds from a request to its answer (p50, p90) over the last `since` window;
    `messages_per_hour` are the activity bars, oldest hour first, the current hour last.
    """

    agent_id: str
    since: datetime
    hours: int
    last_seen: datetime | None = None
    open_sessions: int = 0
    open_requests: int = 0
    requests: int = 0
    answered: int = 0
    expired: int = 0
    response_p50: float | None = None
    response_p90: float | None = None
    sla_kept: int = 0
    sla_missed: int = 0
    messages_per_hour: list[int] = Field(default_factory=list)


class Webhook(_Result):
    """A registered webhook. `secret` (whsec_…) is set only in the answer to its registration."""

    id: str
    url: str
    events: list[str]
    created_at: datetime
    secret: str | None = None
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None


class WebhookEvent(_Result):
    """A verified webhook delivery, decrypted.

    `message` is the message it carries when its signature and certificate check (None otherwise);
    for `response`, `response` is the answer when signed by an accepted role (the owner by default);
    for `expired`, `default_action` is the one the agent set on the request.
    """

    delivery_id: str
    event: str
    agent_id: str
    session_id: str | None = None
    created_at: datetime
    message: TimelineMessage | None = None
    request_id: str | None = None
    response: Response | None = None
    default_action: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class ReaderSync(_Result):
    """What `sync_readers()` changed: readers added to sessions, and sessions rotated to leave readers out."""

    added: list[tuple[str, str]] = Field(default_factory=list)  # (session id, reader agent id)
    removed: list[tuple[str, str]] = Field(default_factory=list)
