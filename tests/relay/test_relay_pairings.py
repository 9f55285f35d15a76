import secrets

import anyio
import httpx
import pytest
import relay_util

from hiloop import wire
from hiloop.crypto import Identity, verify_agent_cert, verify_pairing_mac
from hiloop.crypto import b64u_decode as dec

pytestmark = pytest.mark.anyio


async def start_pairing(client, name="bot"):
    identity = Identity.generate()
    r = await client.post("/v1/pairings", json={"name": name, **identity.public().to_wire()})
    assert r.status_code == 201, r.text
    return identity, r.json()


async def test_a_pairing_is_approved_and_its_api_key_is_claimed_exactly_once(asgi_client, owner):
    identity, created = await start_pairing(asgi_client)
    wire.PairingCreated.model_validate(created)
    pid, claim = created["pairing_id"], created["claim"]
    assert claim.startswith("hlc_") and created["agent_id"].startswith("a_")

    pending = await asgi_client.get(f"/v1/pairings/{pid}", params={"claim": claim})
    assert pending.json()["status"] == "pending" and "api_key" not in pending.json()

    p = secrets.token_bytes(32)
    body = relay_util.approve_body(owner, pid, created["agent_id"], "bot", identity, p)
    r = await asgi_client.post(f"/v1/pairings/{pid}/approve", headers=owner.headers, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and "api_key" not in r.json()

    first = (await asgi_client.get(f"/v1/pairings/{pid}", params={"claim": claim})).json()
    second = (await asgi_client.get(f"/v1/pairings/{pid}", params={"claim": claim})).json()
    info = wire.PairingInfo.model_validate(first)
    assert info.api_key is not None and info.api_key.startswith("hlp_")
    assert second.get("api_key") is None
    # what the agent checks: the MAC over the owner's keys and the owner's certificate over its own keys
    verify_pairing_mac(dec(info.mac), p, pid, identity.public().ed25519, dec(info.owner_x25519),
                       dec(info.owner_ed25519))
    verify_agent_cert(info.agent_cert.model_dump(), dec(info.owner_ed25519))

    me = await asgi_client.get("/v1/agents/me", headers=relay_util.bearer(info.api_key))
    assert me.status_code == 200
    agent_info = wire.AgentInfo.model_validate(me.json())
    assert (agent_info.agent_id, agent_info.owner_id) == (created["agent_id"], owner.owner_id)
    assert agent_info.owner_ed25519 == owner.keys["ed25519"]


async def test_a_refused_pairing_gives_no_key_and_cannot_be_approved_after(asgi_client, owner, db_snapshot):
    identity, created = await start_pairing(asgi_client)
    pid = created["pairing_id"]
    r = await asgi_client.post(f"/v1/pairings/{pid}/refuse", headers=owner.headers)
    assert r.json()["status"] == "refused"
    claimed = (await asgi_client.get(f"/v1/pairings/{pid}", params={"claim": created["claim"]})).json()
    assert claimed["status"] == "refused" and claimed.get("api_key") is None
    before = db_snapshot()
    body = relay_util.approve_body(owner, pid, created["agent_id"], "bot", identity, secrets.token_bytes(32))
    r = await asgi_client.post(f"/v1/pairings/{pid}/approve", headers=owner.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "pairing_not_pending")
    assert db_snapshot() == before


async def test_approving_twice_is_not_pending(asgi_client, owner, agent):
    r = await asgi_client.post(f"/v1/pairings/{agent.pairing_id}/refuse", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (409, "pairing_not_pending")


@pytest.mark.parametrize("field", ["owner_x25519", "agent_cert.name", "agent_cert.ed25519", "agent_cert.owner"])
async def test_an_approval_that_does_not_match_the_pairing_or_the_owner_is_rejected(asgi_client, owner, field,
                                                                                  db_snapshot):
    identity, created = await start_pairing(asgi_client)
    body = relay_util.approve_body(owner, created["pairing_id"], created["agent_id"], "bot", identity,
                                   secrets.token_bytes(32))
    target = body
    *path, last = field.split(".")
    for part in path:
        target = target[part]
    target[last] = relay_util.rand_b64u() if "25519" in last else "other"
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/pairings/{created['pairing_id']}/approve", headers=owner.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    assert r.json()["detail"][0]["loc"] == ["body", *field.split(".")]
    assert db_snapshot() == before


async def test_a_wrong_claim_secret_is_unauthorized_and_an_unknown_pairing_not_found(asgi_client, owner):
    _, created = await start_pairing(asgi_client)
    r = await asgi_client.get(f"/v1/pairings/{created['pairing_id']}", params={"claim": "hlc_wrong"})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    r = await asgi_client.get("/v1/pairings/p_nothing", params={"claim": "hlc_x"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await asgi_client.get(f"/v1/pairings/{created['pairing_id']}")
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


async def test_the_owner_sees_a_pending_pairing_and_its_agents(asgi_client, owner, agent):
    _, created = await start_pairing(asgi_client, "second")
    r = await asgi_client.get(f"/v1/pairings/{created['pairing_id']}", headers=owner.headers)
    assert r.json()["name"] == "second" and r.json()["status"] == "pending"
    agents = wire.AgentList.model_validate((await asgi_client.get("/v1/agents", headers=owner.headers)).json())
    assert [a.agent_id for a in agents.agents] == [agent.agent_id]
    r = await asgi_client.get("/v1/agents", headers=agent.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


async def test_a_bad_pairing_request_is_rejected(asgi_client):
    r = await asgi_client.post("/v1/pairings", json={"name": "", "x25519": relay_util.rand_b64u(),
                                                     "ed25519": relay_util.rand_b64u()})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    r = await asgi_client.post("/v1/pairings", json={"name": "x", "x25519": relay_util.rand_b64u(16),
                                                     "ed25519": relay_util.rand_b64u()})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "x25519"]


async def test_a_claim_long_poll_returns_as_soon_as_the_owner_approves(live_relay, live_watch):
    async with httpx.AsyncClient(base_url=live_relay.url, timeout=30) as client:
        owner = await relay_util.create_owner(client, live_relay.setup_token)
        identity, created = await start_pairing(client)
        pid = created["pairing_id"]
        result = {}

        async def claim():
            r = await client.get(f"/v1/pairings/{pid}", params={"claim": created["claim"], "wait": 60})
            result.update(r.json())

        with anyio.fail_after(10):  # well before the 60 s hold ends
            async with anyio.create_task_group() as tg:
                tg.start_soon(claim)
                await live_watch.wait(f"pairing:{pid}")
                body = relay_util.approve_body(owner, pid, created["agent_id"], "bot", identity,
                                               secrets.token_bytes(32))
                r = await client.post(f"/v1/pairings/{pid}/approve", headers=owner.headers, json=body)
                assert r.status_code == 200
        assert result["status"] == "approved"
        assert result["api_key"].startswith("hlp_")


async def test_a_pairing_left_pending_too_long_expires(asgi_client, owner, relay_state, db_snapshot):
    identity, created = await start_pairing(asgi_client)
    pid = created["pairing_id"]
    await relay_state.store.write(lambda tx: tx.run(
        "UPDATE pairings SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE pairing_id = ?", (pid,)))
    r = await asgi_client.get(f"/v1/pairings/{pid}", params={"claim": created["claim"], "wait": 30})
    assert r.json()["status"] == "expired" and r.json().get("api_key") is None
    before = db_snapshot()
    body = relay_util.approve_body(owner, pid, created["agent_id"], "bot", identity, secrets.token_bytes(32))
    r = await asgi_client.post(f"/v1/pairings/{pid}/approve", headers=owner.headers, json=body)
    assert (r.status_code, r.json()["code"]) == (409, "pairing_not_pending")
    assert db_snapshot() == before


async def test_agents_me_is_for_agents_only(asgi_client, owner, agent):
    r = await asgi_client.get("/v1/agents/me", headers=owner.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    first = await asgi_client.get("/v1/agents/me", headers=agent.headers)
    assert first.json()["last_seen"] is None  # a fresh agent; its first success records it
    second = await asgi_client.get("/v1/agents/me", headers=agent.headers)
    assert second.json()["last_seen"] is not None
