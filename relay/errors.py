"""The relay's error catalogue (docs/api.md, "Errors") and the one handler that renders it.

Every error a client can see is a `RelayError` with a catalogued code; it renders as
`{"code", "error", "detail"}` with the code's status. Anything else is a bug: a bare 500
`internal_error` and one log line with the traceback, never with request content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("hiloop.relay")


@dataclass(frozen=True)
class ErrorKind:
    code: str
    status: int
    message: str


CATALOGUE: dict[str, ErrorKind] = {
    e.code: e
    for e in (
        ErrorKind("invalid_json", 400, "The body is not JSON."),
        ErrorKind("validation_error", 422, "The request does not match the model."),
        ErrorKind("body_too_large", 413, "The body is too large."),
        ErrorKind("unauthorized", 401, "No or unknown credential."),
        ErrorKind("token_expired", 401, "The guest token has expired."),
        ErrorKind("token_revoked", 401, "The guest token was revoked."),
        ErrorKind("forbidden", 403, "This credential may not do this."),
        ErrorKind("not_found", 404, "No such resource."),
        ErrorKind("method_not_allowed", 405, "Method not allowed."),
        ErrorKind("setup_invalid", 409, "The set-up token is unknown or used."),
        ErrorKind("mid_conflict", 409, "A message with this mid exists with a different body."),
        ErrorKind("epoch_conflict", 409, "A rotation for that epoch was already accepted, or it skips one."),
        ErrorKind("stale_epoch", 409, "The envelope's epoch is not the session's current one."),
        ErrorKind("session_closed", 409, "The session is closed."),
        ErrorKind("session_not_public", 409, "The session is not public."),
        ErrorKind("pairing_not_pending", 409, "The pairing is not pending."),
        ErrorKind("conflict", 409, "That id exists already."),
        ErrorKind("rate_limited", 429, "Too many requests."),
        ErrorKind("internal_error", 500, "Internal error."),
    )
}


class RelayError(Exception):
    """A catalogued error. `detail` is a string or, for validation, a list of `{"loc", "msg"}`."""

    def __init__(self, code: str, detail: Any = None, headers: dict[str, str] | None = None) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"uncatalogued error code {code!r}")
        self.kind = CATALOGUE[code]
        self.detail = detail
        self.headers = headers
        super().__init__(code if detail is None else f"{code}: {detail}")

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def status(self) -> int:
        return self.kind.status


def invalid(loc: list[str | int] | tuple[str | int, ...], msg: str) -> RelayError:
    """A 422 naming one field."""
    return RelayError("validation_error", [{"loc": list(loc), "msg": msg}])


def from_validation_error(exc: ValidationError, prefix: tuple[str, ...] = ("body",)) -> RelayError:
    """Pydantic's errors without their `input` (it may be content)."""
    detail = [{"loc": [*prefix, *err["loc"]], "msg": err["msg"]} for err in exc.errors(include_input=False)]
    return RelayError("validation_error", detail)


def error_body(code: str, detail: Any = None) -> dict[str, Any]:
    kind = CATALOGUE[code]
    return {"code": kind.code, "error": kind.message, "detail": detail}


def error_response(code: str, detail: Any = None, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error_body(code, detail), status_code=CATALOGUE[code].status, headers=headers)


_HTTP_CODES = {400: "invalid_json", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 422: "validation_error", 429: "rate_limited"}


async def relay_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RelayError)
    return error_response(exc.code, exc.detail, exc.headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 / 405 (no route, wrong method) in the catalogue's shape."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "internal_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(code, None, headers)


EXCEPTION_HANDLERS = {RelayError: relay_error_handler, HTTPException: http_exception_handler}
