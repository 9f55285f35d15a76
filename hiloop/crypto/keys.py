"""Participant keys (SPEC §2): identities, public keys, signatures, secret-derived keys, fingerprints."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hiloop.crypto.checks import KEY_LEN, SIG_LEN, check_ident, check_len, field_b64u
from hiloop.crypto.encoding import b64u_encode
from hiloop.crypto.errors import CryptoError

SECRET_KINDS = ("guest", "owner")
_ZERO32 = bytes(32)


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def x25519_pub(sk: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(check_len(sk, KEY_LEN, "x25519 private key"))
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def x25519_dh(sk: bytes, pub: bytes) -> bytes:
    """X25519(sk, pub); an all-zero result (a low-order point) is an error."""
    key = X25519PrivateKey.from_private_bytes(check_len(sk, KEY_LEN, "x25519 private key"))
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(check_len(pub, KEY_LEN, "x25519 key")))
    except ValueError as exc:  # OpenSSL refuses an all-zero shared secret itself
        raise CryptoError("invalid x25519 shared secret") from exc
    if shared == _ZERO32:
        raise CryptoError("invalid x25519 shared secret")
    return shared


def verify_signature(ed25519_pub: bytes, data: bytes, sig: bytes) -> None:
    """Verify an Ed25519 signature; raise CryptoError if it does not verify."""
    check_len(ed25519_pub, KEY_LEN, "ed25519 key")
    check_len(sig, SIG_LEN, "signature")
    try:
        Ed25519PublicKey.from_public_bytes(ed25519_pub).verify(sig, data)
    except (InvalidSignature, ValueError) as exc:
        raise CryptoError("bad signature") from exc


@dataclass(frozen=True)
class PublicKeys:
    """A participant's two public keys, 32 raw bytes each."""

    x25519: bytes
    ed25519: bytes

    def __post_init__(self) -> None:
        check_len(self.x25519, KEY_LEN, "x25519 key")
        check_len(self.ed25519, KEY_LEN, "ed25519 key")

    def to_wire(self) -> dict[str, str]:
        return {"x25519": b64u_encode(self.x25519), "ed25519": b64u_encode(self.ed25519)}

    @classmethod
    def from_wire(cls, d: Mapping[str, object]) -> PublicKeys:
        if not isinstance(d, Mapping) or "x25519" not in d or "ed25519" not in d:
            raise CryptoError("invalid public keys")
        return cls(field_b64u(d, "x25519", KEY_LEN), field_b64u(d, "ed25519", KEY_LEN))


class Identity:
    """One participant's private keys: X25519 for key agreement, Ed25519 for signatures."""

    __slots__ = ("_ed", "ed25519_pub", "ed25519_seed", "x25519_pub", "x25519_sk")

    def __init__(self, x25519_sk: bytes, ed25519_seed: bytes) -> None:
        self.x25519_sk = check_len(x25519_sk, KEY_LEN, "x25519 private key")
        self.ed25519_seed = check_len(ed25519_seed, KEY_LEN, "ed25519 seed")
        self.x25519_pub = x25519_pub(x25519_sk)
        self._ed = Ed25519PrivateKey.from_private_bytes(ed25519_seed)
        self.ed25519_pub = self._ed.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def generate(cls) -> Identity:
        return cls(os.urandom(KEY_LEN), os.urandom(KEY_LEN))

    @classmethod
    def from_private(cls, x25519_sk: bytes, ed25519_seed: bytes) -> Identity:
        return cls(x25519_sk, ed25519_seed)

    @classmethod
    def from_secret(cls, secret: bytes, kind: str, scope: str) -> Identity:
        """SPEC §2: both private keys from HKDF-SHA256(secret, salt=scope, info="hiloop/v1/<kind>/…")."""
        check_len(secret, KEY_LEN, "secret")
        if kind not in SECRET_KINDS:
            raise CryptoError("invalid identity kind")
        salt = check_ident(scope, "scope").encode("utf-8")
        return cls(
            hkdf_sha256(secret, salt, f"hiloop/v1/{kind}/x25519".encode()),
            hkdf_sha256(secret, salt, f"hiloop/v1/{kind}/ed25519".encode()),
        )

    def sign(self, data: bytes) -> bytes:
        return self._ed.sign(data)

    def public(self) -> PublicKeys:
        return PublicKeys(self.x25519_pub, self.ed25519_pub)

    def __repr__(self) -> str:
        return f"Identity({fingerprint(self.ed25519_pub)})"


def owner_identity(secret: bytes, owner_id: str) -> Identity:
    return Identity.from_secret(secret, "owner", owner_id)


def guest_identity(secret: bytes, sid: str) -> Identity:
    return Identity.from_secret(secret, "guest", sid)


def new_session_key() -> bytes:
    """A fresh 32-byte session key (SPEC §2: never derived from an earlier epoch)."""
    return os.urandom(KEY_LEN)


def fingerprint(ed25519_pub: bytes) -> str:
    """First 10 bytes of SHA-256 of the key, base32, in groups of 4: `ABCD-EFGH-IJKL-MNOP`."""
    digest = hashlib.sha256(check_len(ed25519_pub, KEY_LEN, "ed25519 key")).digest()[:10]
    text = base64.b32encode(digest).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))
