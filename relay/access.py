"""Who may see and do what in a session (the authorisation matrix).

- an agent: the sessions it created (member `agent`), and read-only those of its owner where it is a
  current reader (member `r_<agent id>`);
- an owner: the sessions of its agents (member `owner`);
- a guest: its one session, reading; writing (responses, reactions, typing) only when the session's
  `public_mode` is `respond`;
- a reader never writes.

A session that does not exist is 404; one the caller may not see is 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay.auth import Principal
from relay.db.store import Row, Tx
from relay.errors import RelayError

GUEST_WRITABLE_TYPES = frozenset({"response", "reaction"})


@dataclass(frozen=True)
class Access:
    session: Row
    member_id: str  # the caller's member id in this session
    role: str  # agent, owner, guest, reader

    @property
    def manages(self) -> bool:
        """May close, rotate, invite and revoke."""
        return self.role in ("agent", "owner")

    def require_manager(self) -> None:
        if not self.manages:
            raise RelayError("forbidden", f"a {self.role} may not do this")

    def require_writer(self, message_type: str | None = None, *, asks: bool = False) -> None:
        """May post to the session (a message of `message_type`, or typing when None); `asks`: the message
        is a request (requires a response or has a deadline), which only the agent and owner may make."""
        if self.role == "reader":
            raise RelayError("forbidden", "a reader may not write")
        if self.role == "guest":
            if not self.session["is_public"] or self.session["public_mode"] != "respond":
                raise RelayError("forbidden", "guests may only read this session")
            if message_type is not None and message_type not in GUEST_WRITABLE_TYPES:
                raise RelayError("forbidden", "guests may only send responses and reactions")
            if asks:
                raise RelayError("forbidden", "guests may not ask for a response or set a deadline")

    def require_open(self) -> None:
        if self.session["status"] != "open":
            raise RelayError("session_closed")


def session_access(tx: Tx, principal: Principal, sid: str) -> Access:
    session = tx.session(sid)
    if session is None:
        raise RelayError("not_found", "no such session")
    if principal.kind == "owner":
        if session["owner_id"] != principal.owner_id:
            raise RelayError("forbidden", "another owner's session")
        return Access(session, "owner", "owner")
    if principal.kind == "agent":
        if session["agent_id"] == principal.agent_id:
            return Access(session, "agent", "agent")
        reader_id = f"r_{principal.agent_id}"
        member = tx.member(sid, reader_id)
        if (session["owner_id"] == principal.owner_id and member is not None and member["role"] == "reader"
                and member["removed_epoch"] is None):
            return Access(session, reader_id, "reader")
        raise RelayError("forbidden", "another agent's session")
    assert principal.guest_id is not None
    if principal.sid != sid:
        raise RelayError("forbidden", "a guest token is for one session only")
    member = tx.member(sid, principal.guest_id)
    if member is None or member["removed_epoch"] is not None:
        raise RelayError("token_revoked")
    return Access(session, principal.guest_id, "guest")
