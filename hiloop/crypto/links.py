"""Guest links (SPEC §6): the fragment `v=1&g=<secret>&a=<root key>` that never reaches the relay."""

from __future__ import annotations

from hiloop.crypto.checks import KEY_LEN, check_len
from hiloop.crypto.encoding import b64u_decode, b64u_encode
from hiloop.crypto.errors import CryptoError


def guest_fragment(secret: bytes, root_ed25519: bytes) -> str:
    """The part of a guest link after `#`: `v=1&g=<b64u secret>&a=<b64u root Ed25519 key>`."""
    check_len(secret, KEY_LEN, "guest secret")
    check_len(root_ed25519, KEY_LEN, "root key")
    return f"v=1&g={b64u_encode(secret)}&a={b64u_encode(root_ed25519)}"


def parse_guest_fragment(fragment: str) -> tuple[bytes, bytes]:
    """(guest secret, root Ed25519 key) from a fragment (a leading `#` is allowed); strict."""
    if not isinstance(fragment, str):
        raise CryptoError("invalid guest link")
    fields: dict[str, str] = {}
    for part in fragment.removeprefix("#").split("&"):
        name, sep, value = part.partition("=")
        if not sep or name in fields or name not in ("v", "g", "a"):
            raise CryptoError("invalid guest link")
        fields[name] = value
    if set(fields) != {"v", "g", "a"} or fields["v"] != "1":
        raise CryptoError("invalid guest link")
    try:
        return b64u_decode(fields["g"], KEY_LEN), b64u_decode(fields["a"], KEY_LEN)
    except CryptoError as exc:
        raise CryptoError("invalid guest link") from exc
