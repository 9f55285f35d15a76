"""Pairing (SPEC §9), agent certificates signed by the owner, and device sign-in signatures."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from hiloop.crypto.checks import KEY_LEN, SIG_LEN, check_ident, check_len, check_object, field_b64u
from hiloop.crypto.encoding import b64u_decode, b64u_encode, frame
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.keys import Identity, PublicKeys, verify_signature

AGENT_CERT_FIELDS = ("v", "type", "owner", "agent", "name", "x25519", "ed25519", "sig")
MAC_LEN = 32
NAME_MAX = 100


def pairing_mac(
    p: bytes, pairing_id: str, agent_ed25519: bytes, owner_x25519: bytes, owner_ed25519: bytes
) -> bytes:
    """HMAC-SHA256(p, frame("hiloop/v1/pair", pairing_id, agent_ed25519, owner_x25519, owner_ed25519))."""
    check_len(p, KEY_LEN, "pairing secret")
    check_ident(pairing_id, "pairing id")
    for key in (agent_ed25519, owner_x25519, owner_ed25519):
        check_len(key, KEY_LEN, "public key")
    data = frame("hiloop/v1/pair", pairing_id, agent_ed25519, owner_x25519, owner_ed25519)
    return hmac.new(p, data, hashlib.sha256).digest()


def verify_pairing_mac(
    mac: bytes,
    p: bytes,
    pairing_id: str,
    agent_ed25519: bytes,
    owner_x25519: bytes,
    owner_ed25519: bytes,
) -> None:
    """Raise CryptoError unless `mac` is the pairing MAC of these keys (constant-time compare)."""
    expected = pairing_mac(p, pairing_id, agent_ed25519, owner_x25519, owner_ed25519)
    if not isinstance(mac, bytes) or not hmac.compare_digest(mac, expected):
        raise CryptoError("pairing: bad mac")


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
        raise CryptoError("invalid agent name")
    return name


def _agent_tbs(owner_id: str, agent_id: str, name: str, keys: PublicKeys) -> bytes:
    return frame("hiloop/v1/sig/agent", owner_id, agent_id, name, keys.x25519, keys.ed25519)


def sign_agent_cert(
    owner: Identity, *, owner_id: str, agent_id: str, name: str, keys: PublicKeys
) -> dict[str, Any]:
    """The owner's certificate over a paired agent's keys (shape: `wire.AgentCert`)."""
    check_ident(owner_id, "owner id")
    check_ident(agent_id, "agent id")
    _check_name(name)
    sig = owner.sign(_agent_tbs(owner_id, agent_id, name, keys))
    return {
        "v": 1,
        "type": "agent_cert",
        "owner": owner_id,
        "agent": agent_id,
        "name": name,
        **keys.to_wire(),
        "sig": b64u_encode(sig),
    }


def verify_agent_cert(cert: Mapping[str, Any], owner_ed25519: bytes) -> None:
    """Check an agent certificate strictly and verify the owner's signature."""
    obj = check_object(cert, "agent_cert", AGENT_CERT_FIELDS)
    owner_id = check_ident(obj["owner"], "owner id")
    agent_id = check_ident(obj["agent"], "agent id")
    name = _check_name(obj["name"])
    keys = PublicKeys(field_b64u(obj, "x25519", KEY_LEN), field_b64u(obj, "ed25519", KEY_LEN))
    sig = field_b64u(obj, "sig", SIG_LEN)
    try:
        verify_signature(owner_ed25519, _agent_tbs(owner_id, agent_id, name, keys), sig)
    except CryptoError as exc:
        raise CryptoError("agent certificate: bad signature") from exc


def _login_tbs(owner_id: str, challenge: str) -> bytes:
    check_ident(owner_id, "owner id")
    if not isinstance(challenge, str) or not challenge:
        raise CryptoError("invalid challenge")
    return frame("hiloop/v1/sig/login", owner_id, challenge)


def login_signature(owner: Identity, owner_id: str, challenge: str) -> str:
    """b64u(Ed25519(owner, frame("hiloop/v1/sig/login", owner_id, challenge)))."""
    return b64u_encode(owner.sign(_login_tbs(owner_id, challenge)))


def verify_login(owner_ed25519: bytes, owner_id: str, challenge: str, sig: str) -> None:
    """Raise CryptoError unless `sig` is the owner's sign-in signature over this challenge."""
    tbs = _login_tbs(owner_id, challenge)
    if not isinstance(sig, str):
        raise CryptoError("invalid signature")
    try:
        verify_signature(owner_ed25519, tbs, b64u_decode(sig, SIG_LEN))
    except CryptoError as exc:
        raise CryptoError("login: bad signature") from exc
