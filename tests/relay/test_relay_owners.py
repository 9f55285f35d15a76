import httpx
import pytest
import relay_util

from hiloop.crypto import Identity, login_signature
from relay.app import create_app
from relay.config import RelayConfig

pytestmark = pytest.mark.anyio


async def test_health_says_ok_with_a_version(asgi_client):
    r = await asgi_client.get("/v1/health")
    assert r.status_code == 200
    assert r.json()["ok"] is True and r.json()["version"]


async def test_the_setup_token_is_valid_until_the_owner_is_created(asgi_client, relay_state):
    token = relay_state.setup_token
    assert (await asgi_client.get(f"/v1/setup/{token}")).json() == {"valid": True}
    assert (await asgi_client.get("/v1/setup/hls_nope")).json() == {"valid": False}
    owner = await relay_util.create_owner(asgi_client, token)
    assert owner.token.startswith("hlo_")
    assert (await asgi_client.get(f"/v1/setup/{token}")).json() == {"valid": False}


async def test_a_used_setup_token_cannot_create_a_second_owner(asgi_client, relay_state, owner, db_snapshot):
    body, _, _ = relay_util.owner_create_body(relay_state.setup_token or "hls_used")
    before = db_snapshot()
    r = await asgi_client.post("/v1/owners", json=body)
    assert r.status_code == 409
    assert r.json()["code"] == "setup_invalid"
    assert db_snapshot() == before


async def test_an_existing_owner_id_is_a_conflict_and_keeps_the_setup_token(asgi_client, relay_state, owner,
                                                                           db_snapshot):
    await relay_state.store.write(lambda tx: tx.add_setup_token(relay_util_hash("hls_second")))
    body, _, _ = relay_util.owner_create_body("hls_second")
    body["owner_id"] = owner.owner_id
    before = db_snapshot()
    r = await asgi_client.post("/v1/owners", json=body)
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    assert db_snapshot() == before
    assert (await asgi_client.get("/v1/setup/hls_second")).json() == {"valid": True}


@pytest.mark.parametrize("field,value", [("x25519", "AAAA"), ("ed25519", "not+base64"), ("owner_id", "o/bad")])
async def test_an_owner_with_a_bad_key_or_id_is_rejected_and_nothing_is_written(asgi_client, relay_state, field,
                                                                                value, db_snapshot):
    body, _, _ = relay_util.owner_create_body(relay_state.setup_token)
    body[field] = value
    before = db_snapshot()
    r = await asgi_client.post("/v1/owners", json=body)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert r.json()["detail"][0]["loc"] == ["body", field]
    assert db_snapshot() == before


async def test_owners_me_describes_the_signed_in_owner(asgi_client, owner):
    r = await asgi_client.get("/v1/owners/me", headers=owner.headers)
    assert r.status_code == 200
    assert r.json()["owner_id"] == owner.owner_id
    assert r.json()["ed25519"] == owner.keys["ed25519"]
    assert (await asgi_client.get("/v1/owners/me")).status_code == 401
    r = await asgi_client.get("/v1/owners/me", headers=relay_util.bearer("hlo_unknown"))
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


async def test_a_device_signs_in_with_the_owner_signature_over_a_challenge(asgi_client, owner):
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/challenge")
    assert r.status_code == 200
    challenge = r.json()["challenge"]
    sig = login_signature(owner.identity, owner.owner_id, challenge)
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/devices",
                               json={"challenge": challenge, "sig": sig, "device_name": "laptop"})
    assert r.status_code == 201, r.text
    token = r.json()["device_token"]
    assert token.startswith("hlo_") and token != owner.token
    me = await asgi_client.get("/v1/owners/me", headers=relay_util.bearer(token))
    assert me.json()["owner_id"] == owner.owner_id
    # a challenge works once
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/devices", json={"challenge": challenge, "sig": sig})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


async def test_a_wrong_signature_does_not_sign_in_nor_use_up_the_challenge(asgi_client, owner, db_snapshot):
    challenge = (await asgi_client.post(f"/v1/owners/{owner.owner_id}/challenge")).json()["challenge"]
    stranger = Identity.generate()
    before = db_snapshot()
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/devices",
                               json={"challenge": challenge, "sig": login_signature(stranger, owner.owner_id, challenge)})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    assert db_snapshot() == before
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/devices",
                               json={"challenge": challenge, "sig": login_signature(owner.identity, owner.owner_id,
                                                                                    challenge)})
    assert r.status_code == 201


async def test_a_challenge_for_an_unknown_owner_is_not_found(asgi_client):
    r = await asgi_client.post("/v1/owners/o_nobody/challenge")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


async def test_a_restart_before_setup_replaces_the_setup_token_and_prints_the_link(tmp_path, capsys):
    config = RelayConfig(db_path=tmp_path / "r.db", port=9999)
    tokens, valid = [], []
    for _ in range(2):
        app = create_app(config)
        async with app.router.lifespan_context(app) as state:
            tokens.append(state["relay"].setup_token)
            valid.append(await state["relay"].store.read(
                lambda tx: [tx.setup_token_exists(relay_util_hash(t)) for t in tokens]))
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Set-up link: http://127.0.0.1:9999/setup/{t}" for t in tokens]
    assert tokens[0] != tokens[1]
    assert valid == [[True], [False, True]]


async def test_a_relay_with_an_owner_prints_no_setup_link(tmp_path, capsys):
    config = RelayConfig(db_path=tmp_path / "r.db")
    app = create_app(config)
    async with app.router.lifespan_context(app) as state:
        token = state["relay"].setup_token
        transport = httpx.ASGITransport(app=_with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await relay_util.create_owner(client, token)
    capsys.readouterr()
    app = create_app(config)
    async with app.router.lifespan_context(app) as state:
        assert state["relay"].setup_token is None
    assert capsys.readouterr().out == ""


def relay_util_hash(token):
    from relay.auth import hash_token

    return hash_token(token)


def _with_state(app, state):
    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    return wrapped


async def test_an_expired_challenge_does_not_sign_in(asgi_client, owner, relay_state):
    challenge = (await asgi_client.post(f"/v1/owners/{owner.owner_id}/challenge")).json()["challenge"]
    await relay_state.store.write(lambda tx: tx.run(
        "UPDATE challenges SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE challenge = ?", (challenge,)))
    sig = login_signature(owner.identity, owner.owner_id, challenge)
    r = await asgi_client.post(f"/v1/owners/{owner.owner_id}/devices", json={"challenge": challenge, "sig": sig})
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
