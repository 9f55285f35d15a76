"""Encodings of crypto SPEC v1 §1: strict unpadded base64url, length-prefixed frames, canonical JSON."""

from __future__ import annotations

import base64
import binascii
import json
import re

from hiloop.crypto.errors import CryptoError

_B64U = re.compile(r"^[A-Za-z0-9_-]*$")
VERSION_BYTE = b"\x01"


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, length: int | None = None) -> bytes:
    """Decode unpadded base64url; reject padding, other alphabets, bad lengths, non-canonical bits."""
    if not isinstance(text, str) or not _B64U.match(text) or len(text) % 4 == 1:
        raise CryptoError("invalid base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("invalid base64url") from exc
    if b64u_encode(data) != text:
        raise CryptoError("non-canonical base64url")
    if length is not None and len(data) != length:
        raise CryptoError(f"expected {length} bytes, got {len(data)}")
    return data


def u32(n: int) -> bytes:
    if not 0 <= n <= 0xFFFFFFFF:
        raise CryptoError("u32 out of range")
    return n.to_bytes(4, "big")


def frame(label: str, *fields: bytes | str) -> bytes:
    """0x01 ‖ u32(len(label)) ‖ label ‖ u32(len(f1)) ‖ f1 ‖ …; strings are UTF-8."""
    out = bytearray(VERSION_BYTE)
    for part in (label, *fields):
        raw = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        out += u32(len(raw)) + raw
    return bytes(out)


def canonical_json(obj: object) -> bytes:
    """The bytes a JSON plaintext is sealed as: compact separators, key order kept, UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode("utf-8")
