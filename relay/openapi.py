"""`/openapi.json`, built from the route table (relay.routes.API) and the wire models' JSON schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hiloop import wire
from relay.errors import CATALOGUE
from relay.routing import Api

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?}")


def build_openapi(api: Sequence[Api], version: str) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(wire.ErrorBody, "serialization")]
    for a in api:
        for model, mode in ((a.body, "validation"), (a.query, "validation"), (a.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))  # type: ignore[arg-type]
    refs, top = models_json_schema(wanted, ref_template=REF)
    schemas = top.get("$defs", {})
    error_ref = refs[(wire.ErrorBody, "serialization")]

    paths: dict[str, dict[str, Any]] = {}
    for a in api:
        op: dict[str, Any] = {
            "operationId": _operation_id(a),
            "summary": a.summary,
            "tags": [a.path.split("/")[2]],
        }
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in _PATH_PARAM.findall(a.path)]
        if a.query is not None:
            qschema = schemas[refs[(a.query, "validation")]["$ref"].rsplit("/", 1)[1]]
            required = set(qschema.get("required", []))
            for name, prop in qschema.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if params:
            op["parameters"] = params
        if a.body is not None:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": refs[(a.body, "validation")]}}}
        if a.auth:
            op["security"] = [{"bearer": []}]
            op["description"] = "Credentials: " + ", ".join(a.auth) + "."
        ok: dict[str, Any] = {"description": "OK" if a.status < 300 else "Created"}
        if a.status == 204:
            ok = {"description": "No content"}
        elif a.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(a.response, "serialization")]}}
            if a.stream:
                ok["content"]["text/event-stream"] = {"schema": {"type": "string"}}
        responses: dict[str, Any] = {str(a.status): ok}
        for code in _error_codes(a):
            kind = CATALOGUE[code]
            entry = responses.setdefault(str(kind.status), {
                "description": "", "content": {"application/json": {"schema": error_ref}}})
            entry["description"] = " | ".join(filter(None, [entry["description"], code]))
        op["responses"] = responses
        paths.setdefault(a.path, {})[a.method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": "Hiloop relay", "version": version,
                 "description": "End-to-end encrypted human-in-the-loop relay. See docs/api.md."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "hlo_ (owner device), hlp_ (agent API key) or hlg_ (guest) token."}},
        },
    }


def _operation_id(a: Api) -> str:
    words = re.sub(r"[{}]", "", a.path.removeprefix("/v1/")).replace("/", "_").replace("-", "_")
    return f"{a.method.lower()}_{words}"


def _error_codes(a: Api) -> list[str]:
    codes: list[str] = []
    if a.body is not None:
        codes += ["invalid_json", "body_too_large", "validation_error"]
    if a.query is not None or _PATH_PARAM.search(a.path):
        codes.append("validation_error")
    if a.auth:
        codes += ["unauthorized", "forbidden"]
    if "guest" in a.auth:
        codes += ["token_expired", "token_revoked"]
    codes += list(a.errors)
    codes.append("internal_error")
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return seen

