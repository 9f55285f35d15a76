"""Hiloop end-to-end encryption, crypto SPEC v1 (../shared/crypto/SPEC.md), on `cryptography`.

Every failure to parse, verify or decrypt raises `CryptoError`. Nonces and ephemeral keys come from the
OS CSPRNG inside the public functions; no public function accepts them.
"""

from hiloop.crypto.encoding import b64u_decode, b64u_encode, canonical_json, frame, u32
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.ids import new_id, new_mid
from hiloop.crypto.keyring import Opened, SessionKeyring
from hiloop.crypto.keys import (
    Identity,
    PublicKeys,
    fingerprint,
    guest_identity,
    new_session_key,
    owner_identity,
    verify_signature,
)
from hiloop.crypto.links import guest_fragment, parse_guest_fragment
from hiloop.crypto.members import Member, sign_member, verify_member
from hiloop.crypto.message import open_envelope, seal
from hiloop.crypto.pairing import (
    login_signature,
    pairing_mac,
    sign_agent_cert,
    verify_agent_cert,
    verify_login,
    verify_pairing_mac,
)
from hiloop.crypto.wrap import unwrap_key, verify_wrap, wrap_key

__all__ = [
    "CryptoError",
    "Identity",
    "Member",
    "Opened",
    "PublicKeys",
    "SessionKeyring",
    "b64u_decode",
    "b64u_encode",
    "canonical_json",
    "fingerprint",
    "frame",
    "guest_fragment",
    "guest_identity",
    "login_signature",
    "new_id",
    "new_mid",
    "new_session_key",
    "open_envelope",
    "owner_identity",
    "pairing_mac",
    "parse_guest_fragment",
    "seal",
    "sign_agent_cert",
    "sign_member",
    "u32",
    "unwrap_key",
    "verify_agent_cert",
    "verify_login",
    "verify_member",
    "verify_pairing_mac",
    "verify_signature",
    "verify_wrap",
    "wrap_key",
]
