import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from relay.errors import CATALOGUE, EXCEPTION_HANDLERS
from relay.middleware import (
    CONTENT_SECURITY_POLICY,
    AccessLogMiddleware,
    BodyLimitMiddleware,
    ErrorMiddleware,
    SecurityHeadersMiddleware,
)

pytestmark = pytest.mark.anyio


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError(request.query_params["q"])  # request content in the exception's message


def client_for(*middleware: Middleware) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/join/{token}", echo, methods=["POST"]),
                            Route("/boom", boom)],
                    middleware=list(middleware), exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_body_limit_refuses_a_declared_length_over_the_limit():
    async with client_for(Middleware(BodyLimitMiddleware, max_bytes=10)) as client:
        assert (await client.post("/echo", content=b"x" * 10)).json() == {"size": 10}
        r = await client.post("/echo", content=b"x" * 11)
        assert r.status_code == 413
        assert r.json() == {"code": "body_too_large", "error": CATALOGUE["body_too_large"].message, "detail": None}


async def test_the_body_limit_counts_a_streamed_body_without_a_length():
    async def chunks():
        for _ in range(5):
            yield b"x" * 4

    async with client_for(Middleware(BodyLimitMiddleware, max_bytes=10)) as client:
        r = await client.post("/echo", content=chunks())
        assert (r.status_code, r.json()["code"]) == (413, "body_too_large")


async def test_security_headers_are_on_every_response():
    async with client_for(Middleware(SecurityHeadersMiddleware)) as client:
        r = await client.post("/echo", content=b"{}")
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY == ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                       "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                                       "base-uri 'none'; form-action 'self'")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


async def test_an_unexpected_exception_is_a_bare_500_logged_without_its_message(caplog):
    async with client_for(Middleware(ErrorMiddleware)) as client:
        with caplog.at_level(logging.ERROR, logger="hiloop.relay"):
            r = await client.get("/boom", params={"q": "canary-secret"})
    assert r.status_code == 500
    assert r.json() == {"code": "internal_error", "error": CATALOGUE["internal_error"].message, "detail": None}
    [record] = [rec for rec in caplog.records if rec.name == "hiloop.relay"]
    text = record.getMessage()
    assert "RuntimeError" in text and "in boom" in text and "/boom" in text
    assert "canary-secret" not in text


async def test_the_access_log_names_the_route_template_never_the_token(caplog):
    async with client_for(Middleware(AccessLogMiddleware)) as client:
        with caplog.at_level(logging.INFO, logger="hiloop.relay.access"):
            await client.post("/join/hlg_canary-token?claim=hlc_canary", content=b"body-canary")
            await client.get("/nowhere/hlg_canary")
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "hiloop.relay.access"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /join/{token} 200 ")
    assert lines[1].startswith("GET - 404 ")
    assert not any("canary" in line for line in lines)


async def test_the_relay_refuses_a_body_over_one_mebibyte(asgi_client):
    r = await asgi_client.post("/v1/pairings", content=b"x" * (1024 * 1024 + 1))
    assert (r.status_code, r.json()["code"]) == (413, "body_too_large")


async def test_the_relay_sends_security_headers_on_api_pages_and_errors(asgi_client):
    for path in ("/v1/health", "/", "/v1/nowhere", "/static/nothing.js"):
        r = await asgi_client.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert r.headers["referrer-policy"] == "no-referrer", path
    assert (await asgi_client.get("/v1/health")).headers["cache-control"] == "no-store"


async def test_unknown_routes_and_methods_use_the_error_catalogue(asgi_client):
    r = await asgi_client.get("/v1/nowhere")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await asgi_client.delete("/v1/health")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
    assert set(r.json()) == {"code", "error", "detail"}
