"""What the tools return (their structured output; the schema a client sees as `outputSchema`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class SessionOut(BaseModel):
    """A Hiloop session: a conversation between this agent and the person (and any guests)."""

    session_id: str = Field(description="Pass this as session_id to the other tools.")
    title: str | None = Field(description="The decrypted title, or null if it could not be read.")
    status: Literal["open", "closed"]
    priority: Literal["low", "normal", "high", "urgent"]
    deadline: datetime | None = None
    is_public: bool
    public_mode: Literal["respond", "read"]
    kind: str
    open_requests: int = Field(default=0, description="Requests in this session still waiting for an answer.")
    created_at: datetime | None = None


class SessionListOut(BaseModel):
    sessions: list[SessionOut]


class SentOut(BaseModel):
    """A message the relay stored."""

    session_id: str
    message_id: str = Field(description="Pass this as message_id to await_response to wait for the answer.")
    seq: int = Field(description="Position in the session's timeline.")
    requires_response: bool = Field(description="Whether the message asks the person for an answer.")
    next_step: str


class GuestLinkOut(BaseModel):
    """A guest link: anyone holding join_url can open this one session until it expires."""

    session_id: str
    guest_id: str
    label: str
    join_url: str = Field(description="The full link, including its #fragment (the fragment holds the key).")
    expires_at: datetime


class Answer(BaseModel):
    """The outcome of waiting for an answer to a request."""

    status: Literal["answered", "expired", "waiting"] = Field(
        description=(
            "answered: a person answered (see action / answers / text). expired: the request's deadline "
            "passed; action is its default_action, if it had one. waiting: no answer yet within the "
            "timeout; call await_response again with the same session_id and message_id to keep waiting."
        )
    )
    session_id: str
    message_id: str
    action: str | None = Field(default=None, description="The chosen button's action.")
    answers: dict[str, Any] | None = Field(default=None, description="Form answers: {question id: value}.")
    text: str | None = Field(default=None, description="A message from the person, e.g. a reason for a refusal.")
    responder_role: str | None = Field(default=None, description="owner or guest.")
    responder_id: str | None = None
    waited_seconds: float


class TimelineEntry(BaseModel):
    seq: int
    message_id: str
    sender: str = Field(description="Member id: agent (this agent), owner, g_… (a guest), r_… (a reader).")
    role: str = Field(description="The sender's role: agent, owner, guest or reader.")
    type: str = Field(description="decision, report, form, text, question, response, instruction, tool_event, …")
    status: str = Field(description="For requests: open, answered, expired or closed; otherwise none.")
    reply_to: str | None = Field(default=None, description="For a response: the message_id it answers.")
    created_at: datetime
    content: dict[str, Any] = Field(description="The decrypted message (components, response, instruction, …).")


class TimelineOut(BaseModel):
    session_id: str
    messages: list[TimelineEntry]
    cursor: int = Field(description="Pass as `after` next time to get only newer messages.")
    session_status: Literal["open", "closed"]
    skipped: int = Field(default=0, description="Messages left out because they failed signature verification.")
