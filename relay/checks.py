"""The checks the relay can make on envelopes, certificates and wraps without keys (docs/api.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hiloop import wire
from relay.errors import RelayError, invalid
from relay.keys import check_key

Loc = tuple[str | int, ...]
MANAGER_ROLES = ("agent", "owner")


def check_envelope(env: wire.Envelope, *, sid: str, epoch: int, sender: str, loc: Loc) -> None:
    if env.sid != sid:
        raise invalid((*loc, "sid"), "does not match the session in the path")
    if env.from_ != sender:
        raise invalid((*loc, "from"), f"must be the caller's member id ({sender})")
    if env.epoch != epoch:
        raise RelayError("stale_epoch", f"the session is at epoch {epoch}")


def check_member(cert: wire.MemberCert, *, sid: str, loc: Loc) -> None:
    if cert.sid != sid:
        raise invalid((*loc, "sid"), "does not match the session")
    check_key(cert.x25519, (*loc, "x25519"))
    check_key(cert.ed25519, (*loc, "ed25519"))


def check_new_members(certs: Sequence[wire.MemberCert], *, sid: str, taken: Iterable[str], loc: Loc) -> None:
    """Certificates joining a session: well-formed, ids unique among themselves and not taken."""
    taken_ids = set(taken)
    seen: set[str] = set()
    for i, cert in enumerate(certs):
        check_member(cert, sid=sid, loc=(*loc, i))
        if cert.id in seen:
            raise invalid((*loc, i, "id"), "duplicate member id")
        if cert.id in taken_ids:
            raise RelayError("conflict", f"member id {cert.id} exists")
        seen.add(cert.id)


def check_wraps(wraps: Sequence[wire.Wrap], *, sid: str, epoch: int, recipients: set[str], wrappers: set[str],
                loc: Loc) -> None:
    """Exactly one wrap of `epoch` per recipient, each by an agent or owner member."""
    seen: set[str] = set()
    for i, wrap in enumerate(wraps):
        if wrap.sid != sid:
            raise invalid((*loc, i, "sid"), "does not match the session")
        if wrap.epoch != epoch:
            raise invalid((*loc, i, "epoch"), f"must be {epoch}")
        if wrap.rid not in recipients:
            raise invalid((*loc, i, "rid"), "is not a member that needs this epoch's key")
        if wrap.rid in seen:
            raise invalid((*loc, i, "rid"), "more than one wrap for this member")
        if wrap.by not in wrappers:
            raise invalid((*loc, i, "by"), "wraps are made by the agent or the owner")
        seen.add(wrap.rid)
    missing = sorted(recipients - seen)
    if missing:
        raise invalid(loc, "no wrap for member(s) " + ", ".join(missing))
