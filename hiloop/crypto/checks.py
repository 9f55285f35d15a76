"""Strict field checks for received wire objects (SPEC §1): version, type, identifiers, epoch, b64u."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hiloop.crypto.encoding import b64u_decode
from hiloop.crypto.errors import CryptoError

IDENT = re.compile(r"[A-Za-z0-9._:-]{1,128}")
ROLES = ("agent", "owner", "guest", "reader")
KEY_LEN = 32
NONCE_LEN = 12
SIG_LEN = 64
WRAP_CT_LEN = 48
TAG_LEN = 16


def check_ident(value: object, what: str = "identifier") -> str:
    if not isinstance(value, str) or IDENT.fullmatch(value) is None:
        raise CryptoError(f"invalid {what}")
    return value


def check_epoch(value: object) -> int:
    # bool is a subclass of int; a JSON true is not an epoch.
    if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
        raise CryptoError("invalid epoch")
    return value


def check_object(obj: object, kind: str, fields: tuple[str, ...]) -> Mapping[str, object]:
    """Check that `obj` is a dict with exactly `fields`, `v` == 1 (an int) and `type` == `kind`."""
    if not isinstance(obj, dict):
        raise CryptoError(f"{kind}: not an object")
    if set(obj) != set(fields):
        raise CryptoError(f"{kind}: unexpected or missing fields")
    if type(obj["v"]) is not int or obj["v"] != 1:
        raise CryptoError(f"{kind}: unsupported version")
    if obj["type"] != kind:
        raise CryptoError(f"{kind}: wrong type")
    return obj


def field_b64u(obj: Mapping[str, object], name: str, length: int | None = None) -> bytes:
    value = obj[name]
    if not isinstance(value, str):
        raise CryptoError(f"invalid {name}")
    try:
        return b64u_decode(value, length)
    except CryptoError as exc:
        raise CryptoError(f"invalid {name}") from exc


def check_len(data: object, length: int, what: str) -> bytes:
    if not isinstance(data, bytes) or len(data) != length:
        raise CryptoError(f"{what} must be {length} bytes")
    return data
