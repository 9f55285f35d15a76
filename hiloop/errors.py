"""Every exception the Hiloop SDK raises.

    HiloopError
    ├── TransportError            the relay could not be reached, or the connection broke
    ├── APIError                  the relay answered with an error body {code, error, detail}
    │   ├── BadRequest            400 / 422 (invalid_json, validation_error)
    │   ├── Unauthorized          401 (unauthorized, token_expired, token_revoked)
    │   ├── Forbidden             403
    │   ├── NotFound              404
    │   ├── Conflict              409 (mid_conflict, stale_epoch, session_closed, …)
    │   ├── PayloadTooLarge       413
    │   ├── RateLimited           429
    │   └── ServerError           5xx
    ├── ConfigError               no stored identity, no relay URL, an unreadable config file
    ├── ResponseTimeout           await_response gave up before an answer came (not a deadline)
    ├── PairingError              a pairing was refused, expired, or failed verification
    └── InvalidComponent          a component does not match its model (also a ValueError)

    CryptoError (from hiloop.crypto) is raised for anything that fails to parse, verify or decrypt.

Errors of the HTTP library never reach callers: they are translated into `TransportError` with
`raise … from exc`, so the original stays available as `__cause__`.
"""

from __future__ import annotations

from typing import Any

from hiloop.crypto.errors import CryptoError

__all__ = [
    "APIError",
    "BadRequest",
    "Conflict",
    "ConfigError",
    "CryptoError",
    "Forbidden",
    "HiloopError",
    "InvalidComponent",
    "NotFound",
    "PairingError",
    "PayloadTooLarge",
    "RateLimited",
    "ResponseTimeout",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "error_for_status",
]


class HiloopError(Exception):
    """The base of every error the SDK raises (except CryptoError, shared with hiloop.crypto)."""


class TransportError(HiloopError):
    """The relay could not be reached, or the connection failed mid-request."""


class APIError(HiloopError):
    """The relay refused a request: `status` (HTTP), `code` (stable, see docs/api.md), `message`, `detail`."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class BadRequest(APIError):
    """400 or 422: the request did not match what the relay expects."""


class Unauthorized(APIError):
    """401: no credential, an unknown one, or an expired or revoked guest token."""


class Forbidden(APIError):
    """403: the credential may not do this."""


class NotFound(APIError):
    """404: no such resource, or not visible to this credential."""


class Conflict(APIError):
    """409: the resource's state forbids this (closed session, stale epoch, reused mid, …)."""


class PayloadTooLarge(APIError):
    """413: the body is larger than the relay accepts."""


class RateLimited(APIError):
    """429: too many requests."""


class ServerError(APIError):
    """5xx: a bug or outage on the relay."""


class ConfigError(HiloopError):
    """Local configuration is missing or unusable: no identity, no relay URL, a broken file."""


class ResponseTimeout(HiloopError):
    """No valid answer arrived within the caller's timeout."""

    def __init__(self, message: str, *, session_id: str = "", message_id: str = "") -> None:
        super().__init__(message)
        self.session_id = session_id
        self.message_id = message_id


class PairingError(HiloopError):
    """A pairing was refused or expired, or its answer failed verification."""


class InvalidComponent(HiloopError, ValueError):
    """A component failed validation; the message names the field path of each problem."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: BadRequest,
    429: RateLimited,
}


def error_for_status(status: int, code: str, message: str, detail: Any = None) -> APIError:
    """The APIError subclass for an HTTP status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else (BadRequest if 400 <= status < 500 else APIError)
    return cls(status, code, message, detail)
