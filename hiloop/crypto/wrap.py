"""Session-key wraps (SPEC §4): one per recipient per epoch, ECDH + HKDF + AES-GCM, signed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hiloop.crypto.checks import (
    KEY_LEN,
    NONCE_LEN,
    SIG_LEN,
    WRAP_CT_LEN,
    check_epoch,
    check_ident,
    check_len,
    check_object,
    field_b64u,
)
from hiloop.crypto.encoding import b64u_encode, frame, u32
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.keys import Identity, hkdf_sha256, verify_signature, x25519_dh, x25519_pub

WRAP_FIELDS = ("v", "type", "sid", "epoch", "rid", "by", "epk", "n", "ct", "sig")
_INFO = b"hiloop/v1/wrap"


def _wrap_ad(sid: str, epoch: int, rid: str, by: str) -> bytes:
    return frame("hiloop/v1/wrap", sid, u32(epoch), rid, by)


def _wrap_kek(dh: bytes, epk: bytes, recipient_x25519: bytes) -> bytes:
    return hkdf_sha256(dh, epk + recipient_x25519, _INFO)


def _wrap_tbs(ad: bytes, epk: bytes, nonce: bytes, ct: bytes) -> bytes:
    return frame("hiloop/v1/sig/wrap", ad, epk, nonce, ct)


def wrap_key(
    signer: Identity,
    *,
    by: str,
    sid: str,
    epoch: int,
    rid: str,
    recipient_x25519: bytes,
    session_key: bytes,
) -> dict[str, Any]:
    """Wrap `session_key` for the recipient `rid`; fresh ephemeral key and nonce from the OS."""
    return _wrap_key(
        signer,
        by=by,
        sid=sid,
        epoch=epoch,
        rid=rid,
        recipient_x25519=recipient_x25519,
        session_key=session_key,
        eph_sk=os.urandom(KEY_LEN),
        nonce=os.urandom(NONCE_LEN),
    )


def _wrap_key(
    signer: Identity,
    *,
    by: str,
    sid: str,
    epoch: int,
    rid: str,
    recipient_x25519: bytes,
    session_key: bytes,
    eph_sk: bytes,
    nonce: bytes,
) -> dict[str, Any]:
    """wrap_key with a given ephemeral key and nonce: for the test vectors only."""
    check_ident(sid, "sid")
    check_ident(rid, "rid")
    check_ident(by, "by")
    check_epoch(epoch)
    check_len(recipient_x25519, KEY_LEN, "x25519 key")
    check_len(session_key, KEY_LEN, "session key")
    check_len(nonce, NONCE_LEN, "nonce")
    epk = x25519_pub(eph_sk)
    kek = _wrap_kek(x25519_dh(eph_sk, recipient_x25519), epk, recipient_x25519)
    ad = _wrap_ad(sid, epoch, rid, by)
    ct = AESGCM(kek).encrypt(nonce, session_key, ad)
    sig = signer.sign(_wrap_tbs(ad, epk, nonce, ct))
    return {
        "v": 1,
        "type": "wrap",
        "sid": sid,
        "epoch": epoch,
        "rid": rid,
        "by": by,
        "epk": b64u_encode(epk),
        "n": b64u_encode(nonce),
        "ct": b64u_encode(ct),
        "sig": b64u_encode(sig),
    }


class ParsedWrap:
    """A wrap whose shape was checked: its fields decoded, its signature not yet verified."""

    __slots__ = ("by", "ct", "epk", "epoch", "nonce", "rid", "sid", "sig")

    def __init__(self, wrap: object) -> None:
        obj = check_object(wrap, "wrap", WRAP_FIELDS)
        self.sid = check_ident(obj["sid"], "sid")
        self.epoch = check_epoch(obj["epoch"])
        self.rid = check_ident(obj["rid"], "rid")
        self.by = check_ident(obj["by"], "by")
        self.epk = field_b64u(obj, "epk", KEY_LEN)
        self.nonce = field_b64u(obj, "n", NONCE_LEN)
        self.ct = field_b64u(obj, "ct", WRAP_CT_LEN)
        self.sig = field_b64u(obj, "sig", SIG_LEN)

    @property
    def ad(self) -> bytes:
        return _wrap_ad(self.sid, self.epoch, self.rid, self.by)

    @property
    def tbs(self) -> bytes:
        return _wrap_tbs(self.ad, self.epk, self.nonce, self.ct)

    def verify(self, wrapper_ed25519: bytes) -> None:
        try:
            verify_signature(wrapper_ed25519, self.tbs, self.sig)
        except CryptoError as exc:
            raise CryptoError("wrap: bad signature") from exc

    def unwrap(self, recipient: Identity) -> bytes:
        """Decrypt the session key (call verify first)."""
        kek = _wrap_kek(x25519_dh(recipient.x25519_sk, self.epk), self.epk, recipient.x25519_pub)
        try:
            key = AESGCM(kek).decrypt(self.nonce, self.ct, self.ad)
        except InvalidTag as exc:
            raise CryptoError("wrap: decryption failed") from exc
        if len(key) != KEY_LEN:
            raise CryptoError("wrap: bad session key length")
        return key


def verify_wrap(wrap: Mapping[str, Any], wrapper_ed25519: bytes) -> None:
    """Check a wrap strictly and verify its signature, without decrypting it."""
    ParsedWrap(wrap).verify(wrapper_ed25519)


def unwrap_key(wrap: Mapping[str, Any], recipient: Identity, wrapper_ed25519: bytes) -> bytes:
    """Check, verify the wrapper's signature, then decrypt the 32-byte session key."""
    parsed = ParsedWrap(wrap)
    parsed.verify(wrapper_ed25519)
    return parsed.unwrap(recipient)
