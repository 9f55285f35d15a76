import httpx
import pytest


def test_live_relay_answers_health_and_has_a_setup_token(live_relay):
    r = httpx.get(live_relay.url + "/v1/health")
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert live_relay.setup_token.startswith("hls_")
    r = httpx.get(f"{live_relay.url}/v1/setup/{live_relay.setup_token}")
    assert r.json() == {"valid": True}


@pytest.mark.anyio
async def test_asgi_client_answers_health(asgi_client):
    r = await asgi_client.get("/v1/health")
    assert r.status_code == 200
