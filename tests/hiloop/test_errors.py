"""The SDK's exception tree (hiloop/errors.py) and the translation of relay error bodies."""

from __future__ import annotations

import httpx
import pytest

from hiloop import errors
from hiloop._http import Http
from hiloop.crypto import CryptoError
from hiloop.errors import (
    APIError,
    BadRequest,
    ConfigError,
    Conflict,
    Forbidden,
    HiloopError,
    InvalidComponent,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ResponseTimeout,
    ServerError,
    TransportError,
    Unauthorized,
    error_for_status,
)


def test_every_error_is_a_hiloop_error_and_api_errors_share_a_base() -> None:
    for cls in (TransportError, APIError, ConfigError, ResponseTimeout, InvalidComponent, errors.PairingError):
        assert issubclass(cls, HiloopError)
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, RateLimited, ServerError):
        assert issubclass(cls, APIError)
    assert issubclass(InvalidComponent, ValueError)
    assert errors.CryptoError is CryptoError


def test_the_module_docstring_documents_every_error_class() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if name[0].isupper():
            assert name in doc, name


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, BadRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound), (409, Conflict),
     (413, PayloadTooLarge), (422, BadRequest), (429, RateLimited), (500, ServerError), (503, ServerError)],
)
def test_each_status_maps_to_its_error_class(status: int, cls: type[APIError]) -> None:
    err = error_for_status(status, "code", "message", {"x": 1})
    assert type(err) is cls
    assert (err.status, err.code, err.message, err.detail) == (status, "code", "message", {"x": 1})


def _http(handler: object) -> Http:
    return Http("http://relay.test", "hlp_x", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_relay_error_body_becomes_a_typed_error_with_its_code_and_detail() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"code": "session_closed", "error": "The session is closed.", "detail": None})

    http = _http(handler)
    with pytest.raises(Conflict) as info:
        await http.request("POST", "/v1/sessions/s_1/messages", body={})
    await http.aclose()
    assert info.value.code == "session_closed"
    assert info.value.status == 409
    assert "The session is closed." in str(info.value)


@pytest.mark.anyio
async def test_a_validation_error_names_the_field_in_its_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"code": "validation_error", "error": "Invalid request.",
                                         "detail": [{"loc": ["body", "meta", "type"], "msg": "bad type"}]})

    http = _http(handler)
    with pytest.raises(BadRequest, match="meta.type: bad type"):
        await http.request("POST", "/v1/x", body={})
    await http.aclose()


@pytest.mark.anyio
async def test_an_unreachable_relay_is_a_transport_error_caused_by_the_httpx_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = _http(handler)
    with pytest.raises(TransportError) as info:
        await http.request("GET", "/v1/health")
    await http.aclose()
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert not isinstance(info.value, httpx.HTTPError)


@pytest.mark.anyio
async def test_a_timeout_is_a_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    http = _http(handler)
    with pytest.raises(TransportError, match="timed out"):
        await http.request("GET", "/v1/health")
    await http.aclose()


@pytest.mark.anyio
async def test_an_error_without_a_json_body_still_has_a_class_and_a_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad Gateway")

    http = _http(handler)
    with pytest.raises(ServerError) as info:
        await http.request("GET", "/v1/health")
    await http.aclose()
    assert info.value.code == "http_502"
