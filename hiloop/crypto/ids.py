"""Random identifiers: message ids (SPEC §1) and prefixed ids for owners, sessions, guests."""

from __future__ import annotations

import os

from hiloop.crypto.encoding import b64u_encode


def new_mid() -> str:
    """A message id: b64u of 16 random bytes."""
    return b64u_encode(os.urandom(16))


def new_id(prefix: str, nbytes: int = 9) -> str:
    """`prefix` followed by b64u of `nbytes` random bytes (e.g. `s_` + 12 characters)."""
    if nbytes < 1:
        raise ValueError("nbytes must be positive")
    return prefix + b64u_encode(os.urandom(nbytes))
