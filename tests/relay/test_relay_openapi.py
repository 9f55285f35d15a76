import re

import pytest

from relay.errors import CATALOGUE
from relay.routes import API

pytestmark = pytest.mark.anyio


async def test_the_openapi_document_lists_every_route(asgi_client):
    r = await asgi_client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    listed = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert listed == {(a.method, a.path) for a in API}
    documented = {
        "GET /v1/health", "GET /v1/setup/{token}", "POST /v1/owners", "POST /v1/owners/{owner_id}/challenge",
        "POST /v1/owners/{owner_id}/devices", "GET /v1/owners/me", "POST /v1/pairings", "GET /v1/pairings/{pid}",
        "POST /v1/pairings/{pid}/approve", "POST /v1/pairings/{pid}/refuse", "GET /v1/agents", "GET /v1/agents/me",
        "POST /v1/sessions", "GET /v1/sessions", "GET /v1/sessions/{sid}", "POST /v1/sessions/{sid}/close",
        "POST /v1/sessions/{sid}/rotate", "POST /v1/sessions/{sid}/messages", "GET /v1/sessions/{sid}/messages",
        "POST /v1/sessions/{sid}/typing", "POST /v1/sessions/{sid}/guests", "GET /v1/sessions/{sid}/guests",
        "DELETE /v1/sessions/{sid}/guests/{gid}", "GET /v1/guest/me", "GET /v1/feed", "GET /v1/events",
    }
    assert documented <= {f"{m} {p}" for m, p in listed}


async def test_every_reference_resolves_and_every_operation_is_described(asgi_client):
    doc = (await asgi_client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', r_text := (await asgi_client.get(
        "/openapi.json")).text))
    assert refs and refs <= set(schemas), refs - set(schemas)
    assert "$defs" not in r_text
    op_ids = []
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            op_ids.append(op["operationId"])
            assert op["summary"] and op["responses"]
            assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == params
            for status, response in op["responses"].items():
                assert status.isdigit()
                if int(status) >= 400:
                    codes = response["description"].split(" | ")
                    assert all(CATALOGUE[c].status == int(status) for c in codes), (path, method, status)
    assert len(op_ids) == len(set(op_ids))


async def test_request_bodies_and_queries_come_from_the_wire_models(asgi_client):
    doc = (await asgi_client.get("/openapi.json")).json()
    send = doc["paths"]["/v1/sessions/{sid}/messages"]["post"]
    ref = send["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/MessageSend")
    assert set(doc["components"]["schemas"]["Envelope"]["properties"]) >= {"v", "sid", "epoch", "mid", "from"}
    timeline = doc["paths"]["/v1/sessions/{sid}/messages"]["get"]
    query = {p["name"]: p for p in timeline["parameters"] if p["in"] == "query"}
    assert set(query) == {"after", "wait", "limit"}
    assert query["wait"]["schema"]["maximum"] == 60
    assert "401" in timeline["responses"] and timeline["security"] == [{"bearer": []}]
