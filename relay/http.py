"""Reading requests into wire models and writing JSON responses."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from relay.errors import RelayError, from_validation_error

M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise RelayError("invalid_json", "the body is empty")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise RelayError("invalid_json", "the body is not JSON") from exc


async def parse_body(request: Request, model: type[M]) -> M:
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, ("body",)) from exc


def parse_query(request: Request, model: type[M]) -> M:
    params = request.query_params
    data: dict[str, Any] = {}
    for key in model.model_fields:
        values = params.getlist(key)
        if len(values) > 1:
            raise RelayError("validation_error", [{"loc": ["query", key], "msg": "given more than once"}])
        if values:
            data[key] = values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, ("query",)) from exc


def json_bytes(data: Any) -> bytes:
    """The body JSONResponse would send."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def json_response(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)
