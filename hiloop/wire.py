"""The relay API's bodies, shared by the relay (which validates them) and the SDK (which sends them).

Envelopes (`member`, `wrap`, `msg`) are crypto SPEC v1 objects: the relay checks their shape and
routing fields only; clients verify signatures. See docs/api.md for the endpoints.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Ident = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
B64u = Annotated[str, StringConstraints(max_length=200_000, pattern=r"^[A-Za-z0-9_-]*$")]
Priority = Literal["low", "normal", "high", "urgent"]
Role = Literal["agent", "owner", "guest", "reader"]
MessageType = Literal[
    "decision", "report", "form", "tabs", "feed", "text", "permission_request", "question",
    "tool_event", "response", "reaction", "instruction",
]
MessageStatus = Literal["none", "open", "answered", "expired", "closed"]
SessionStatus = Literal["open", "closed"]
PublicMode = Literal["respond", "read"]


def _to_utc(value: datetime) -> datetime:
    """A naive time is taken as UTC; one that cannot be expressed in UTC is a validation error."""
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError as exc:
        raise ValueError("date out of range") from exc


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
PRIORITY_RANK: dict[str, int] = {"urgent": 3, "high": 2, "normal": 1, "low": 0}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- SPEC v1 envelopes -------------------------------------------------------------------------


class MemberCert(_Model):
    v: Literal[1]
    type: Literal["member"]
    sid: Ident
    id: Ident
    role: Role
    x25519: B64u
    ed25519: B64u
    by: Ident
    sig: B64u


class Wrap(_Model):
    v: Literal[1]
    type: Literal["wrap"]
    sid: Ident
    epoch: int = Field(ge=0, le=2**32 - 1, strict=True)
    rid: Ident
    by: Ident
    epk: B64u
    n: B64u
    ct: B64u
    sig: B64u


class Envelope(_Model):
    v: Literal[1]
    type: Literal["msg"]
    sid: Ident
    epoch: int = Field(ge=0, le=2**32 - 1, strict=True)
    mid: Ident
    from_: Ident = Field(alias="from")
    n: B64u
    ct: B64u
    sig: B64u

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class AgentCert(_Model):
    """The owner's signature over a paired agent's keys:
    sig = Ed25519(owner, frame("hiloop/v1/sig/agent", owner_id, agent_id, name, x25519, ed25519))."""

    v: Literal[1]
    type: Literal["agent_cert"]
    owner: Ident
    agent: Ident
    name: str = Field(min_length=1, max_length=100)
    x25519: B64u
    ed25519: B64u
    sig: B64u


# --- owners and devices ------------------------------------------------------------------------


class OwnerCreate(_Model):
    setup_token: str = Field(min_length=1, max_length=200)
    owner_id: Ident
    x25519: B64u
    ed25519: B64u
    device_name: str = Field(default="device", min_length=1, max_length=100)


class OwnerCreated(_Out):
    owner_id: str
    device_token: str


class Challenge(_Out):
    challenge: str
    expires_at: datetime


class DeviceLogin(_Model):
    challenge: str = Field(min_length=1, max_length=200)
    sig: B64u
    device_name: str = Field(default="device", min_length=1, max_length=100)


class DeviceToken(_Out):
    owner_id: str
    device_token: str


class OwnerInfo(_Out):
    owner_id: str
    x25519: str
    ed25519: str
    created_at: datetime


# --- pairing and agents ------------------------------------------------------------------------


class PairingCreate(_Model):
    name: str = Field(min_length=1, max_length=100)
    x25519: B64u
    ed25519: B64u


class PairingCreated(_Out):
    pairing_id: str
    agent_id: str
    claim: str
    expires_at: datetime


class PairingApprove(_Model):
    owner_x25519: B64u
    owner_ed25519: B64u
    mac: B64u
    agent_cert: AgentCert


class PairingInfo(_Out):
    pairing_id: str
    agent_id: str
    name: str
    x25519: str
    ed25519: str
    status: Literal["pending", "approved", "refused", "expired"]
    created_at: datetime
    expires_at: datetime
    owner_id: str | None = None
    owner_x25519: str | None = None
    owner_ed25519: str | None = None
    mac: str | None = None
    agent_cert: AgentCert | None = None
    api_key: str | None = None  # only in the first claim after approval


class AgentPeer(_Out):
    """Another agent of the same owner, with the certificate the owner signed over its keys."""

    agent_id: str
    name: str
    x25519: str
    ed25519: str
    agent_cert: AgentCert


class AgentInfo(_Out):
    agent_id: str
    name: str
    x25519: str
    ed25519: str
    agent_cert: AgentCert
    owner_id: str
    owner_x25519: str
    owner_ed25519: str
    created_at: datetime
    last_seen: datetime | None = None
    readers: list[AgentPeer] = []  # agents this owner lets read this agent's sessions
    readable: list[AgentPeer] = []  # agents whose sessions this agent may read


class AgentList(_Out):
    agents: list[AgentInfo]


# --- sessions ----------------------------------------------------------------------------------


class SessionCreate(_Model):
    sid: Ident
    kind: str = Field(default="default", min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    priority: Priority = "normal"
    deadline: UtcDatetime | None = None
    is_public: bool = False
    public_mode: PublicMode = "respond"
    title: Envelope | None = None  # encrypted with the epoch-0 key
    members: list[MemberCert] = Field(min_length=2, max_length=1000)
    wraps: list[Wrap] = Field(min_length=2, max_length=1000)


class SessionInfo(_Out):
    sid: str
    agent_id: str
    owner_id: str
    kind: str
    priority: Priority
    deadline: datetime | None
    status: SessionStatus
    is_public: bool
    public_mode: PublicMode
    epoch: int
    title: Envelope | None
    created_at: datetime
    updated_at: datetime
    open_requests: int = 0
    last_seq: int = 0
    members: list[MemberCert] = []
    wraps: list[Wrap] = []
    removed: list[str] = []  # member ids removed by rotations (their certificates stay for history)


class SessionList(_Out):
    sessions: list[SessionInfo]


class Rotation(_Model):
    epoch: int = Field(ge=1, le=2**32 - 1, strict=True)
    remove: list[Ident] = Field(default_factory=list, max_length=1000)
    members: list[MemberCert] = Field(default_factory=list, max_length=1000)
    wraps: list[Wrap] = Field(min_length=1, max_length=1000)
    title: Envelope | None = None


# --- messages ----------------------------------------------------------------------------------


class MessageMeta(_Model):
    type: MessageType = "text"
    priority: Priority = "normal"
    requires_response: bool = False
    deadline: UtcDatetime | None = None
    reply_to: Ident | None = None


class MessageSend(_Model):
    envelope: Envelope
    meta: MessageMeta = Field(default_factory=MessageMeta)


class MessageStored(_Out):
    sid: str
    seq: int
    mid: str
    from_: str = Field(alias="from")
    status: MessageStatus
    created_at: datetime


class MessageOut(_Out):
    sid: str
    seq: int
    mid: str
    from_: str = Field(alias="from")
    meta: MessageMeta
    status: MessageStatus
    created_at: datetime
    answered_at: datetime | None = None
    envelope: Envelope


class Timeline(_Out):
    sid: str
    messages: list[MessageOut]
    cursor: int  # the seq to pass as `after` next time
    session_status: SessionStatus
    epoch: int


# --- guests ------------------------------------------------------------------------------------


class GuestCreate(_Model):
    label: str = Field(default="guest", min_length=1, max_length=100)
    expires_in: int = Field(default=3600, ge=60, le=86400)
    member: MemberCert
    wrap: Wrap


class GuestCreated(_Out):
    sid: str
    guest_id: str
    label: str
    token: str
    expires_at: datetime


class GuestOut(_Out):
    sid: str
    guest_id: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked: bool


class GuestList(_Out):
    guests: list[GuestOut]


class GuestInfo(_Out):
    sid: str
    guest_id: str
    label: str
    expires_at: datetime


# --- feed and events ---------------------------------------------------------------------------


class FeedItem(_Out):
    session: SessionInfo  # without members and wraps, unless asked with keys=true
    message: MessageOut


class Feed(_Out):
    items: list[FeedItem]


class EventOut(_Out):
    id: int | None  # None for ephemeral events (typing)
    kind: Literal["session", "message", "status", "pairing", "typing"]
    sid: str | None = None
    data: dict[str, Any] = {}
    created_at: datetime


class EventBatch(_Out):
    events: list[EventOut]
    cursor: int


# --- readers, webhooks, activity ----------------------------------------------------------------


class ReaderGrant(_Model):
    reader_agent_id: Ident


class ReaderOut(_Out):
    agent_id: str  # whose sessions are read
    reader_agent_id: str
    created_at: datetime


class ReaderAdd(_Model):
    """A reader joining a session without a rotation: its certificate and a wrap for each epoch it may read."""

    member: MemberCert
    wraps: list[Wrap] = Field(min_length=1, max_length=10_000)


WebhookEventName = Literal[
    "message", "response", "expired", "session_closed", "guest_added", "guest_joined", "guest_revoked",
    "readers_changed",
]
WEBHOOK_EVENTS: tuple[str, ...] = (
    "message", "response", "expired", "session_closed", "guest_added", "guest_joined", "guest_revoked",
    "readers_changed",
)


class WebhookCreate(_Model):
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    events: list[WebhookEventName] = Field(min_length=1, max_length=len(WEBHOOK_EVENTS))


class WebhookOut(_Out):
    webhook_id: str
    url: str
    events: list[str]
    created_at: datetime
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None  # e.g. "http 500", "timeout": never content


class WebhookCreated(WebhookOut):
    secret: str  # whsec_…, shown once


class WebhookList(_Out):
    webhooks: list[WebhookOut]


class WebhookDelivery(_Out):
    """The JSON body of one webhook delivery (the same for every attempt)."""

    id: str  # the delivery id, also in the Hiloop-Delivery header: de-duplicate on it
    event: str
    created_at: datetime
    agent_id: str
    sid: str | None = None
    message: MessageOut | None = None  # the message (with its envelope) for message/response/expired
    data: dict[str, Any] = {}


class Activity(_Out):
    """Figures about one agent, from routing metadata only."""

    agent_id: str
    since: datetime  # the window for the figures below
    hours: int
    last_seen: datetime | None = None
    open_sessions: int = 0
    open_requests: int = 0
    requests: int = 0  # requests made in the window
    answered: int = 0
    expired: int = 0
    response_p50: float | None = None  # seconds from a request to its answer
    response_p90: float | None = None
    sla_kept: int = 0  # requests with a deadline answered in time
    sla_missed: int = 0  # requests with a deadline that expired
    messages_per_hour: list[int] = []  # oldest hour first; the last is the current hour


# --- errors ------------------------------------------------------------------------------------


class ErrorBody(_Out):
    code: str
    error: str
    detail: Any = None
