"""Member certificates (SPEC §3): who is in a session, with which keys and role, signed by whom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hiloop.crypto.checks import KEY_LEN, ROLES, SIG_LEN, check_ident, check_object, field_b64u
from hiloop.crypto.encoding import b64u_encode, frame
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.keys import Identity, PublicKeys, verify_signature

MEMBER_FIELDS = ("v", "type", "sid", "id", "role", "x25519", "ed25519", "by", "sig")


@dataclass(frozen=True)
class Member:
    """A verified certificate's content: member id, role, public keys and the id of its signer."""

    id: str
    role: str
    keys: PublicKeys
    by: str


def _member_tbs(sid: str, member_id: str, role: str, keys: PublicKeys, by: str) -> bytes:
    return frame("hiloop/v1/sig/member", sid, member_id, role, keys.x25519, keys.ed25519, by)


def _check_role(role: object) -> str:
    if not isinstance(role, str) or role not in ROLES:
        raise CryptoError("invalid role")
    return role


def sign_member(
    signer: Identity, *, sid: str, member_id: str, role: str, keys: PublicKeys, by: str
) -> dict[str, Any]:
    """The wire certificate for `member_id`, signed by `signer` (whose member id is `by`)."""
    check_ident(sid, "sid")
    check_ident(member_id, "member id")
    check_ident(by, "by")
    _check_role(role)
    sig = signer.sign(_member_tbs(sid, member_id, role, keys, by))
    return {
        "v": 1,
        "type": "member",
        "sid": sid,
        "id": member_id,
        "role": role,
        **keys.to_wire(),
        "by": by,
        "sig": b64u_encode(sig),
    }


def parse_member(cert: object) -> tuple[str, Member, bytes]:
    """Check a certificate's shape strictly; return (sid, member, signature) without verifying it."""
    obj = check_object(cert, "member", MEMBER_FIELDS)
    sid = check_ident(obj["sid"], "sid")
    member = Member(
        id=check_ident(obj["id"], "member id"),
        role=_check_role(obj["role"]),
        keys=PublicKeys(field_b64u(obj, "x25519", KEY_LEN), field_b64u(obj, "ed25519", KEY_LEN)),
        by=check_ident(obj["by"], "by"),
    )
    return sid, member, field_b64u(obj, "sig", SIG_LEN)


def verify_member(cert: Mapping[str, Any], signer_ed25519: bytes) -> None:
    """Check a certificate strictly and verify its signature with the signer's Ed25519 key."""
    sid, m, sig = parse_member(cert)
    try:
        verify_signature(signer_ed25519, _member_tbs(sid, m.id, m.role, m.keys, m.by), sig)
    except CryptoError as exc:
        raise CryptoError("member certificate: bad signature") from exc
