import httpx
import pytest
import relay_util


def test_live_relay_answers_health_and_has_a_setup_token(live_relay):
    r = httpx.get(live_relay.url + "/v1/health")
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert live_relay.setup_token.startswith("hls_")
    r = httpx.get(f"{live_relay.url}/v1/setup/{live_relay.setup_token}")
    assert r.json() == {"valid": True}


def test_sync_helpers_create_an_owner_an_agent_and_a_session(live_relay):
    owner = relay_util.create_owner_sync(live_relay.url, live_relay.setup_token)
    agent = relay_util.pair_agent_sync(live_relay.url, owner, "bot")
    sid = relay_util.create_session_sync(live_relay.url, agent)
    r = httpx.get(f"{live_relay.url}/v1/sessions/{sid}", headers=owner.headers)
    assert r.status_code == 200, r.text


@pytest.mark.anyio
async def test_async_helpers_work_over_asgi(asgi_client, relay_state):
    owner = await relay_util.create_owner(asgi_client, relay_state.setup_token)
    agent = await relay_util.pair_agent(asgi_client, owner)
    sid = await relay_util.create_session(asgi_client, agent)
    r = await relay_util.send(asgi_client, agent.headers, sid, "agent", requires_response=True, type="decision")
    assert r.status_code == 201, r.text
    r = await asgi_client.get("/v1/feed", headers=owner.headers)
    assert len(r.json()["items"]) == 1
