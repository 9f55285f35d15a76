"""HTTP-level helpers for tests that need an owner, a paired agent or a session on a relay.

Import from any test as `import relay_util` (tests/conftest.py puts this folder on sys.path).
Owners and agents have real keys (hiloop.crypto), a real agent certificate and pairing MAC, so the
SDK can verify them; sessions made here have real certificate *keys* but random signatures, wraps and
envelopes: syntactically valid, enough for the relay, which never verifies content crypto.

    owner = await relay_util.create_owner(client, live_relay.setup_token)     # httpx.AsyncClient
    agent = await relay_util.pair_agent(client, owner, "deploy-bot")
    sid = await relay_util.create_session(client, agent)
    owner = relay_util.create_owner_sync(live_relay.url, live_relay.setup_token)  # plain httpx
    agent = relay_util.pair_agent_sync(live_relay.url, owner, "deploy-bot")
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from hiloop.crypto import (
    Identity,
    b64u_encode,
    new_id,
    new_mid,
    owner_identity,
    pairing_mac,
    sign_agent_cert,
)


@dataclass
class Owner:
    owner_id: str
    secret: bytes
    identity: Identity
    token: str  # device token hlo_…

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def keys(self) -> dict[str, str]:
        return self.identity.public().to_wire()


@dataclass
class Agent:
    agent_id: str
    name: str
    identity: Identity
    api_key: str  # hlp_…
    owner: Owner
    pairing_id: str = ""
    p: bytes = field(default=b"", repr=False)  # the pairing secret of the link

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def keys(self) -> dict[str, str]:
        return self.identity.public().to_wire()


def rand_b64u(n: int = 32) -> str:
    return b64u_encode(secrets.token_bytes(n))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- bodies -------------------------------------------------------------------------------------


def owner_create_body(setup_token: str) -> tuple[dict[str, Any], bytes, Identity]:
    secret = secrets.token_bytes(32)
    owner_id = new_id("o_")
    identity = owner_identity(secret, owner_id)
    body = {"setup_token": setup_token, "owner_id": owner_id, **identity.public().to_wire(), "device_name": "test"}
    return body, secret, identity


def approve_body(owner: Owner, pairing_id: str, agent_id: str, name: str, agent_identity: Identity,
                 p: bytes) -> dict[str, Any]:
    owner_pub = owner.identity.public()
    mac = pairing_mac(p, pairing_id, agent_identity.public().ed25519, owner_pub.x25519, owner_pub.ed25519)
    cert = sign_agent_cert(owner.identity, owner_id=owner.owner_id, agent_id=agent_id, name=name,
                           keys=agent_identity.public())
    return {"owner_x25519": owner.keys["x25519"], "owner_ed25519": owner.keys["ed25519"],
            "mac": b64u_encode(mac), "agent_cert": cert}


def member_cert(sid: str, member_id: str, role: str, keys: dict[str, str] | None = None,
                by: str = "agent") -> dict[str, Any]:
    keys = keys or {"x25519": rand_b64u(), "ed25519": rand_b64u()}
    return {"v": 1, "type": "member", "sid": sid, "id": member_id, "role": role, **keys, "by": by,
            "sig": rand_b64u(64)}


def wrap(sid: str, epoch: int, rid: str, by: str = "agent") -> dict[str, Any]:
    return {"v": 1, "type": "wrap", "sid": sid, "epoch": epoch, "rid": rid, "by": by, "epk": rand_b64u(),
            "n": rand_b64u(12), "ct": rand_b64u(48), "sig": rand_b64u(64)}


def envelope(sid: str, sender: str, epoch: int = 0, mid: str | None = None, size: int = 64) -> dict[str, Any]:
    return {"v": 1, "type": "msg", "sid": sid, "epoch": epoch, "mid": mid or new_mid(), "from": sender,
            "n": rand_b64u(12), "ct": rand_b64u(size), "sig": rand_b64u(64)}


def session_body(agent: Agent, sid: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid `SessionCreate` for `agent`: members agent and owner with their real keys, epoch-0 wraps."""
    sid = sid or new_id("s_")
    members = [member_cert(sid, "agent", "agent", agent.keys), member_cert(sid, "owner", "owner", agent.owner.keys)]
    body: dict[str, Any] = {
        "sid": sid,
        "members": members,
        "wraps": [wrap(sid, 0, m["id"]) for m in members],
        "title": envelope(sid, "agent", 0, mid="title-0"),
    }
    body.update(fields)
    return body


def message_body(sid: str, sender: str, epoch: int = 0, mid: str | None = None, **meta: Any) -> dict[str, Any]:
    return {"envelope": envelope(sid, sender, epoch, mid), "meta": meta}


def guest_body(sid: str, epoch: int = 0, guest_id: str | None = None, **fields: Any) -> dict[str, Any]:
    guest_id = guest_id or new_id("g_", 6)
    return {"member": member_cert(sid, guest_id, "guest"), "wrap": wrap(sid, epoch, guest_id), **fields}


# --- async (httpx.AsyncClient, base_url set to the relay) ---------------------------------------


def _ok(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    data = r.json()
    assert isinstance(data, dict)
    return data


async def create_owner(client: httpx.AsyncClient, setup_token: str) -> Owner:
    body, secret, identity = owner_create_body(setup_token)
    data = _ok(await client.post("/v1/owners", json=body), 201)
    return Owner(data["owner_id"], secret, identity, data["device_token"])


async def pair_agent(client: httpx.AsyncClient, owner: Owner, name: str = "agent") -> Agent:
    identity, p = Identity.generate(), secrets.token_bytes(32)
    created = _ok(await client.post("/v1/pairings", json={"name": name, **identity.public().to_wire()}), 201)
    pid, agent_id = created["pairing_id"], created["agent_id"]
    _ok(await client.post(f"/v1/pairings/{pid}/approve", headers=owner.headers,
                          json=approve_body(owner, pid, agent_id, name, identity, p)), 200)
    claimed = _ok(await client.get(f"/v1/pairings/{pid}", params={"claim": created["claim"]}), 200)
    return Agent(agent_id, name, identity, claimed["api_key"], owner, pid, p)


async def create_session(client: httpx.AsyncClient, agent: Agent, **fields: Any) -> str:
    data = _ok(await client.post("/v1/sessions", headers=agent.headers, json=session_body(agent, **fields)), 201)
    return str(data["sid"])


async def add_guest(client: httpx.AsyncClient, headers: dict[str, str], sid: str, epoch: int = 0,
                    **fields: Any) -> tuple[str, str]:
    """(guest id, guest token)."""
    data = _ok(await client.post(f"/v1/sessions/{sid}/guests", headers=headers,
                                 json=guest_body(sid, epoch, **fields)), 201)
    return str(data["guest_id"]), str(data["token"])


async def send(client: httpx.AsyncClient, headers: dict[str, str], sid: str, sender: str, epoch: int = 0,
               mid: str | None = None, **meta: Any) -> httpx.Response:
    return await client.post(f"/v1/sessions/{sid}/messages", headers=headers,
                             json=message_body(sid, sender, epoch, mid, **meta))


# --- sync (plain httpx against a live relay's url) ---------------------------------------------


def create_owner_sync(base_url: str, setup_token: str) -> Owner:
    body, secret, identity = owner_create_body(setup_token)
    data = _ok(httpx.post(f"{base_url}/v1/owners", json=body), 201)
    return Owner(data["owner_id"], secret, identity, data["device_token"])


def pair_agent_sync(base_url: str, owner: Owner, name: str = "agent") -> Agent:
    identity, p = Identity.generate(), secrets.token_bytes(32)
    created = _ok(httpx.post(f"{base_url}/v1/pairings", json={"name": name, **identity.public().to_wire()}), 201)
    pid, agent_id = created["pairing_id"], created["agent_id"]
    _ok(httpx.post(f"{base_url}/v1/pairings/{pid}/approve", headers=owner.headers,
                   json=approve_body(owner, pid, agent_id, name, identity, p)), 200)
    claimed = _ok(httpx.get(f"{base_url}/v1/pairings/{pid}", params={"claim": created["claim"]}), 200)
    return Agent(agent_id, name, identity, claimed["api_key"], owner, pid, p)


def create_session_sync(base_url: str, agent: Agent, **fields: Any) -> str:
    data = _ok(httpx.post(f"{base_url}/v1/sessions", headers=agent.headers, json=session_body(agent, **fields)), 201)
    return str(data["sid"])
