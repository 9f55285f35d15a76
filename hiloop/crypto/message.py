"""Message envelopes (SPEC §5): AES-256-GCM under the epoch's session key, signed by the sender."""

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
    TAG_LEN,
    check_epoch,
    check_ident,
    check_len,
    check_object,
    field_b64u,
)
from hiloop.crypto.encoding import b64u_encode, frame, u32
from hiloop.crypto.errors import CryptoError
from hiloop.crypto.keys import Identity, verify_signature

MSG_FIELDS = ("v", "type", "sid", "epoch", "mid", "from", "n", "ct", "sig")


def _msg_ad(sid: str, epoch: int, mid: str, sender: str) -> bytes:
    return frame("hiloop/v1/msg", sid, u32(epoch), mid, sender)


def _msg_tbs(ad: bytes, nonce: bytes, ct: bytes) -> bytes:
    return frame("hiloop/v1/sig/msg", ad, nonce, ct)


def seal(
    signer: Identity,
    *,
    sid: str,
    epoch: int,
    mid: str,
    sender: str,
    session_key: bytes,
    plaintext: bytes,
) -> dict[str, Any]:
    """Encrypt and sign a message; a fresh nonce from the OS CSPRNG every time."""
    return _seal(
        signer,
        sid=sid,
        epoch=epoch,
        mid=mid,
        sender=sender,
        session_key=session_key,
        plaintext=plaintext,
        nonce=os.urandom(NONCE_LEN),
    )


def _seal(
    signer: Identity,
    *,
    sid: str,
    epoch: int,
    mid: str,
    sender: str,
    session_key: bytes,
    plaintext: bytes,
    nonce: bytes,
) -> dict[str, Any]:
    """seal with a given nonce: for the test vectors only."""
    check_ident(sid, "sid")
    check_ident(mid, "mid")
    check_ident(sender, "sender")
    check_epoch(epoch)
    check_len(session_key, KEY_LEN, "session key")
    check_len(nonce, NONCE_LEN, "nonce")
    if not isinstance(plaintext, bytes):
        raise CryptoError("plaintext must be bytes")
    ad = _msg_ad(sid, epoch, mid, sender)
    ct = AESGCM(session_key).encrypt(nonce, plaintext, ad)
    sig = signer.sign(_msg_tbs(ad, nonce, ct))
    return {
        "v": 1,
        "type": "msg",
        "sid": sid,
        "epoch": epoch,
        "mid": mid,
        "from": sender,
        "n": b64u_encode(nonce),
        "ct": b64u_encode(ct),
        "sig": b64u_encode(sig),
    }


class ParsedEnvelope:
    """An envelope whose shape was checked: fields decoded, signature not yet verified."""

    __slots__ = ("ct", "epoch", "mid", "nonce", "sender", "sid", "sig")

    def __init__(self, env: object) -> None:
        obj = check_object(env, "msg", MSG_FIELDS)
        self.sid = check_ident(obj["sid"], "sid")
        self.epoch = check_epoch(obj["epoch"])
        self.mid = check_ident(obj["mid"], "mid")
        self.sender = check_ident(obj["from"], "sender")
        self.nonce = field_b64u(obj, "n", NONCE_LEN)
        self.ct = field_b64u(obj, "ct")
        self.sig = field_b64u(obj, "sig", SIG_LEN)
        if len(self.ct) < TAG_LEN:
            raise CryptoError("invalid ct")

    @property
    def ad(self) -> bytes:
        return _msg_ad(self.sid, self.epoch, self.mid, self.sender)

    def open(self, sender_ed25519: bytes, session_key: bytes) -> bytes:
        """Verify the signature, then decrypt."""
        check_len(session_key, KEY_LEN, "session key")
        ad = self.ad
        try:
            verify_signature(sender_ed25519, _msg_tbs(ad, self.nonce, self.ct), self.sig)
        except CryptoError as exc:
            raise CryptoError("msg: bad signature") from exc
        try:
            return AESGCM(session_key).decrypt(self.nonce, self.ct, ad)
        except InvalidTag as exc:
            raise CryptoError("msg: decryption failed") from exc


def open_envelope(env: Mapping[str, Any], sender_ed25519: bytes, session_key: bytes) -> bytes:
    """Check an envelope strictly, verify the sender's signature, then decrypt the plaintext."""
    return ParsedEnvelope(env).open(sender_ed25519, session_key)
