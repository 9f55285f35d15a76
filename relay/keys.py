"""What the relay can check about keys without holding any: sizes and encodings."""

from __future__ import annotations

from hiloop.crypto.encoding import b64u_decode
from hiloop.crypto.errors import CryptoError
from relay.errors import invalid

KEY_BYTES = 32


def check_key(value: str, loc: tuple[str | int, ...]) -> bytes:
    """A public key: 32 bytes of unpadded base64url, else 422 naming `loc`."""
    try:
        return b64u_decode(value, KEY_BYTES)
    except CryptoError as exc:
        raise invalid(loc, f"must be {KEY_BYTES} bytes of unpadded base64url") from exc
