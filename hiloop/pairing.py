"""Pairing an agent with its owner (crypto SPEC §9), from the agent's side.

    creds = pair_agent("http://127.0.0.1:8080", "laptop", on_link=print)

creates the agent's keys, asks the relay for a pairing, hands `<relay>/pair/<id>#p=…&a=…` to `on_link`
(the owner opens it in the app or runs `hiloop pair approve LINK`), long-polls until the owner decides,
checks the owner's MAC (keyed by `p`, which the relay never saw) and the agent certificate the owner
signed, and stores everything in `HILOOP_HOME/agents/<name>.json` (0600).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx

from hiloop import wire
from hiloop._http import POLL_HOLD, Http, poll_timeout, relay_root
from hiloop.crypto import (
    CryptoError,
    Identity,
    b64u_decode,
    b64u_encode,
    verify_agent_cert,
    verify_pairing_mac,
)
from hiloop.errors import ConfigError, PairingError
from hiloop.store import AgentCredentials, agent_path, check_agent_name, save_agent

__all__ = ["pair_agent", "pair_agent_async", "pairing_link"]


def pairing_link(relay_url: str, pairing_id: str, p: bytes, agent_ed25519: bytes) -> str:
    return f"{relay_root(relay_url)}/pair/{pairing_id}#p={b64u_encode(p)}&a={b64u_encode(agent_ed25519)}"


async def pair_agent_async(
    relay_url: str,
    name: str,
    *,
    on_link: Callable[[str], object] | None = None,
    timeout: float = 600,
    home: str | Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    overwrite: bool = False,
) -> AgentCredentials:
    """Pair a new agent called `name`; return and store its credentials. Raises PairingError when the
    owner refuses, the pairing expires, `timeout` seconds pass, or the answer fails verification."""
    check_agent_name(name)
    if agent_path(name, home).exists() and not overwrite:
        raise ConfigError(f"an agent named {name!r} is already stored ({agent_path(name, home)}); choose another name")
    ident = Identity.generate()
    http = Http(relay_url, transport=transport)
    try:
        created = await http.model(
            wire.PairingCreated,
            "POST",
            "/v1/pairings",
            body=wire.PairingCreate(name=name, **ident.public().to_wire()),
        )
        p = os.urandom(32)
        link = pairing_link(http.base_url, created.pairing_id, p, ident.ed25519_pub)
        if on_link is not None:
            on_link(link)
        info = await _wait_for_decision(http, created, timeout)
    finally:
        await http.aclose()
    creds = _verify(info, created, ident, p, name, http.base_url)
    save_agent(creds, home)
    return creds


async def _wait_for_decision(http: Http, created: wire.PairingCreated, timeout: float) -> wire.PairingInfo:
    end = anyio.current_time() + timeout
    while True:
        remaining = end - anyio.current_time()
        if remaining <= 0:
            raise PairingError(f"the owner did not answer within {timeout:g} s")
        hold = max(1, min(POLL_HOLD, int(remaining)))
        info = await http.model(
            wire.PairingInfo,
            "GET",
            f"/v1/pairings/{created.pairing_id}",
            params={"claim": created.claim, "wait": hold},
            timeout=poll_timeout(hold),
        )
        if info.status == "approved":
            return info
        if info.status == "refused":
            raise PairingError("the owner refused this pairing")
        if info.status == "expired":
            raise PairingError("the pairing expired before the owner approved it; start again")


def _verify(
    info: wire.PairingInfo, created: wire.PairingCreated, ident: Identity, p: bytes, name: str, relay_url: str
) -> AgentCredentials:
    if not (info.owner_id and info.owner_x25519 and info.owner_ed25519 and info.mac and info.agent_cert):
        raise PairingError("the approved pairing lacks the owner's keys")
    if not info.api_key:
        raise PairingError("this pairing was claimed already (the API key is shown once)")
    try:
        owner_x = b64u_decode(info.owner_x25519, 32)
        owner_ed = b64u_decode(info.owner_ed25519, 32)
        verify_pairing_mac(b64u_decode(info.mac, 32), p, created.pairing_id, ident.ed25519_pub, owner_x, owner_ed)
        cert = info.agent_cert
        verify_agent_cert(cert.model_dump(), owner_ed)
    except CryptoError as exc:
        raise PairingError(f"the owner's answer does not verify ({exc}): not pairing") from exc
    mine = ident.public().to_wire()
    if (cert.agent, cert.owner, cert.name, cert.x25519, cert.ed25519) != (
        created.agent_id, info.owner_id, name, mine["x25519"], mine["ed25519"]
    ):
        raise PairingError("the agent certificate does not describe this agent: not pairing")
    return AgentCredentials(
        name=name,
        relay_url=relay_url,
        agent_id=created.agent_id,
        api_key=info.api_key,
        x25519_sk=b64u_encode(ident.x25519_sk),
        ed25519_seed=b64u_encode(ident.ed25519_seed),
        owner_id=info.owner_id,
        owner_x25519=info.owner_x25519,
        owner_ed25519=info.owner_ed25519,
        agent_cert=cert.model_dump(),
    )


def pair_agent(
    relay_url: str,
    name: str,
    *,
    on_link: Callable[[str], object] | None = None,
    timeout: float = 600,
    home: str | Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    overwrite: bool = False,
) -> AgentCredentials:
    """The blocking form of pair_agent_async (do not call it from inside an event loop)."""
    return anyio.run(
        functools.partial(
            pair_agent_async, relay_url, name, on_link=on_link, timeout=timeout, home=home, transport=transport,
            overwrite=overwrite,
        )
    )
