"""The owner's client for a terminal (interfaces §4): set up, sign in, read the feed, answer, pair agents.

    recovery_key = OwnerClient.setup(None, "http://127.0.0.1:8080/setup/<token>")   # once, on a fresh relay
    owner = OwnerClient.load()                                                       # later
    for item in owner.feed():
        owner.respond(item.session.id, item.message.id, action="approve")

The owner's keys derive from one 32-byte secret (crypto SPEC §2), kept in `HILOOP_HOME/owner.json`
(0600) and shown once as the recovery key `hlr1.<owner id>.<b64u secret>`. The owner trusts an agent's
keys only through the agent certificate it signed at pairing, checked with its own key every time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from hiloop import wire
from hiloop._http import Http, relay_root
from hiloop._requests import response_payload
from hiloop._sessions import Keyrings, send_payload, session_model, whole_timeline
from hiloop._sync import Portal
from hiloop.client import invite_guest
from hiloop.crypto import (
    CryptoError,
    PublicKeys,
    b64u_decode,
    b64u_encode,
    fingerprint,
    login_signature,
    new_id,
    owner_identity,
    pairing_mac,
    sign_agent_cert,
    verify_agent_cert,
)
from hiloop.errors import ConfigError, NotFound, PairingError
from hiloop.models import Activity, Agent, FeedItem, GuestLink, SentMessage, Session, SessionView, TimelineMessage
from hiloop.store import OwnerCredentials, load_owner, owner_path, save_owner

__all__ = ["AsyncOwnerClient", "OwnerClient", "PairingRequest", "parse_pairing_link", "parse_recovery_key"]

RECOVERY_PREFIX = "hlr1"


class PairingRequest(BaseModel):
    """A pending pairing as the owner sees it before approving: compare the fingerprint with the agent's."""

    model_config = ConfigDict(frozen=True)

    pairing_id: str
    agent_id: str
    name: str
    fingerprint: str
    status: str


def parse_recovery_key(key: str) -> tuple[str, bytes]:
    """(owner id, secret) from `hlr1.<owner id>.<b64u secret>`; ConfigError when malformed."""
    parts = key.strip().split(".")
    if len(parts) != 3 or parts[0] != RECOVERY_PREFIX or not parts[1]:
        raise ConfigError("invalid recovery key: expected hlr1.<owner id>.<secret>")
    try:
        return parts[1], b64u_decode(parts[2], 32)
    except CryptoError as exc:
        raise ConfigError("invalid recovery key: the secret part is damaged") from exc


def parse_pairing_link(link: str) -> tuple[str, str, bytes, bytes]:
    """(relay URL, pairing id, p, agent Ed25519 key) from `<relay>/pair/<pid>#p=…&a=…`."""
    parts = urlsplit(link.strip())
    path = parts.path.rstrip("/")
    marker = path.rfind("/pair/")
    if parts.scheme not in ("http", "https") or marker < 0:
        raise PairingError("invalid pairing link: expected <relay>/pair/<id>#p=…&a=…")
    pid = path[marker + len("/pair/"):]
    fields: dict[str, str] = {}
    for item in parts.fragment.split("&"):
        name, _, value = item.partition("=")
        fields[name] = value
    try:
        p = b64u_decode(fields.get("p", ""), 32)
        a = b64u_decode(fields.get("a", ""), 32)
    except CryptoError as exc:
        raise PairingError("invalid pairing link: its #p=…&a=… part is missing or damaged") from exc
    if not pid or "/" in pid:
        raise PairingError("invalid pairing link: no pairing id")
    return f"{parts.scheme}://{parts.netloc}{path[:marker]}", pid, p, a


def parse_setup_link(link_or_token: str) -> tuple[str | None, str]:
    """(relay URL or None, token) from `<relay>/setup/<token>` or a bare token."""
    text = link_or_token.strip()
    if not text.startswith(("http://", "https://")):
        return None, text
    parts = urlsplit(text)
    path = parts.path.rstrip("/")
    marker = path.rfind("/setup/")
    if marker < 0:
        raise ConfigError("invalid set-up link: expected <relay>/setup/<token>")
    return f"{parts.scheme}://{parts.netloc}{path[:marker]}", path[marker + len("/setup/"):]


class AsyncOwnerClient:
    """The owner's client, async. Build it with `load()`, `setup()` or `sign_in()`."""

    def __init__(
        self,
        credentials: OwnerCredentials,
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.credentials = credentials
        try:
            self._identity = owner_identity(b64u_decode(credentials.secret, 32), credentials.owner_id)
        except CryptoError as exc:
            raise ConfigError(f"the owner secret in {owner_path()} is damaged: {exc}") from exc
        self._http = Http(base_url or credentials.relay_url, credentials.device_token, transport=transport, timeout=timeout)
        self._keyrings = Keyrings(self._http, self._identity, lambda _sid: "owner", self._root_for)
        self._agents: dict[str, wire.AgentInfo] = {}

    @property
    def owner_id(self) -> str:
        return self.credentials.owner_id

    @property
    def base_url(self) -> str:
        return self._http.base_url

    # --- construction -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls, *, home: str | Path | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> AsyncOwnerClient:
        return cls(load_owner(home), transport=transport)

    @classmethod
    async def setup(
        cls,
        relay_url: str | None,
        setup_link_or_token: str,
        *,
        device_name: str = "terminal",
        home: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        overwrite: bool = False,
    ) -> str:
        """Create the owner on a fresh relay, store it, and return the recovery key (show it once)."""
        link_relay, token = parse_setup_link(setup_link_or_token)
        url = relay_url or link_relay
        if not url:
            raise ConfigError("no relay URL: pass the whole set-up link (<relay>/setup/<token>)")
        if owner_path(home).exists() and not overwrite:
            raise ConfigError(f"an owner is already set up here ({owner_path(home)}); remove that file first")
        secret = os.urandom(32)
        owner_id = new_id("o_")
        ident = owner_identity(secret, owner_id)
        http = Http(url, transport=transport)
        try:
            created = await http.model(
                wire.OwnerCreated,
                "POST",
                "/v1/owners",
                body=wire.OwnerCreate(
                    setup_token=token, owner_id=owner_id, device_name=device_name, **ident.public().to_wire()
                ),
            )
        finally:
            await http.aclose()
        save_owner(
            OwnerCredentials(
                relay_url=relay_root(url), owner_id=created.owner_id, secret=b64u_encode(secret),
                device_token=created.device_token,
            ),
            home,
        )
        return f"{RECOVERY_PREFIX}.{owner_id}.{b64u_encode(secret)}"

    @classmethod
    async def sign_in(
        cls,
        relay_url: str,
        recovery_key: str,
        *,
        device_name: str = "terminal",
        home: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncOwnerClient:
        """Sign this device in with the recovery key (a signed challenge), store it and return the client."""
        owner_id, secret = parse_recovery_key(recovery_key)
        ident = owner_identity(secret, owner_id)
        http = Http(relay_url, transport=transport)
        try:
            challenge = await http.model(wire.Challenge, "POST", f"/v1/owners/{owner_id}/challenge")
            token = await http.model(
                wire.DeviceToken,
                "POST",
                f"/v1/owners/{owner_id}/devices",
                body=wire.DeviceLogin(
                    challenge=challenge.challenge,
                    sig=login_signature(ident, owner_id, challenge.challenge),
                    device_name=device_name,
                ),
            )
        finally:
            await http.aclose()
        creds = OwnerCredentials(
            relay_url=relay_root(relay_url), owner_id=owner_id, secret=b64u_encode(secret), device_token=token.device_token
        )
        client = cls(creds, transport=transport)
        me = await client._http.model(wire.OwnerInfo, "GET", "/v1/owners/me")
        if PublicKeys.from_wire({"x25519": me.x25519, "ed25519": me.ed25519}) != ident.public():
            await client.aclose()
            raise ConfigError("the relay holds other keys for this owner: the recovery key does not match")
        save_owner(creds, home)
        return client

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncOwnerClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- agents -----------------------------------------------------------------------------------

    async def _agent_list(self) -> list[wire.AgentInfo]:
        data = await self._http.model(wire.AgentList, "GET", "/v1/agents")
        self._agents = {a.agent_id: a for a in data.agents}
        return data.agents

    def _verified_keys(self, info: wire.AgentInfo) -> PublicKeys:
        """The agent's keys from the certificate this owner signed, or CryptoError."""
        cert = info.agent_cert
        verify_agent_cert(cert.model_dump(), self._identity.ed25519_pub)
        if cert.owner != self.owner_id or cert.agent != info.agent_id:
            raise CryptoError("agent certificate for another owner or agent")
        return PublicKeys(b64u_decode(cert.x25519, 32), b64u_decode(cert.ed25519, 32))

    async def _root_for(self, info: wire.SessionInfo) -> bytes:
        agent = self._agents.get(info.agent_id)
        if agent is None:
            await self._agent_list()
            agent = self._agents.get(info.agent_id)
        if agent is None:
            raise CryptoError(f"unknown agent {info.agent_id}")
        return self._verified_keys(agent).ed25519

    async def agents(self) -> list[Agent]:
        """Paired agents; `verified` says whether the relay-served certificate checks with this owner's key."""
        out = []
        for a in await self._agent_list():
            try:
                keys = self._verified_keys(a)
                verified = True
            except CryptoError:
                keys, verified = None, False
            out.append(
                Agent(
                    agent_id=a.agent_id,
                    name=a.agent_cert.name if verified else a.name,
                    fingerprint=fingerprint(keys.ed25519) if keys else "",
                    verified=verified,
                    created_at=a.created_at,
                    last_seen=a.last_seen,
                )
            )
        return out

    # --- pairing ----------------------------------------------------------------------------------

    async def _pairing(self, link: str) -> tuple[wire.PairingInfo, bytes, bytes]:
        _, pid, p, a = parse_pairing_link(link)
        info = await self._http.model(wire.PairingInfo, "GET", f"/v1/pairings/{pid}")
        if b64u_decode(info.ed25519, 32) != a:
            raise PairingError("the relay shows a different agent key than the pairing link: not approving")
        return info, p, a

    async def inspect_pairing(self, link: str) -> PairingRequest:
        """The agent behind a pairing link, checked against the key in the link."""
        info, _, a = await self._pairing(link)
        return PairingRequest(
            pairing_id=info.pairing_id, agent_id=info.agent_id, name=info.name, fingerprint=fingerprint(a),
            status=info.status,
        )

    async def approve_pairing(self, link: str) -> Agent:
        """Approve: send this owner's keys with the MAC keyed by the link's `p`, and sign the agent certificate."""
        info, p, a = await self._pairing(link)
        if info.status != "pending":
            raise PairingError(f"this pairing is {info.status}, not pending")
        keys = PublicKeys(b64u_decode(info.x25519, 32), a)
        me = self._identity
        body = wire.PairingApprove(
            owner_x25519=b64u_encode(me.x25519_pub),
            owner_ed25519=b64u_encode(me.ed25519_pub),
            mac=b64u_encode(pairing_mac(p, info.pairing_id, a, me.x25519_pub, me.ed25519_pub)),
            agent_cert=wire.AgentCert.model_validate(
                sign_agent_cert(me, owner_id=self.owner_id, agent_id=info.agent_id, name=info.name, keys=keys)
            ),
        )
        done = await self._http.model(wire.PairingInfo, "POST", f"/v1/pairings/{info.pairing_id}/approve", body=body)
        return Agent(
            agent_id=done.agent_id, name=done.name, fingerprint=fingerprint(a), verified=True, created_at=done.created_at
        )

    async def refuse_pairing(self, link: str) -> PairingRequest:
        info, _, a = await self._pairing(link)
        done = await self._http.model(wire.PairingInfo, "POST", f"/v1/pairings/{info.pairing_id}/refuse")
        return PairingRequest(
            pairing_id=done.pairing_id, agent_id=done.agent_id, name=done.name, fingerprint=fingerprint(a),
            status=done.status,
        )

    # --- sessions and requests --------------------------------------------------------------------

    async def _session(self, info: wire.SessionInfo) -> Session:
        title = ""
        if info.title is not None:
            try:
                await self._keyrings.get(info.sid, info if info.members else None)
                title = await self._keyrings.title(info)
            except CryptoError:
                title = ""
        return session_model(info, title)

    async def sessions(
        self, status: wire.SessionStatus | None = None, kind: str | None = None, agent: str | None = None,
        limit: int | None = None,
    ) -> list[Session]:
        data = await self._http.model(
            wire.SessionList, "GET", "/v1/sessions", params={"status": status, "kind": kind, "agent": agent, "limit": limit}
        )
        return [await self._session(info) for info in data.sessions]

    async def feed(self) -> list[FeedItem]:
        """Open requests across all agents (urgent first, then by deadline), decrypted; unverifiable ones left out."""
        data = await self._http.model(wire.Feed, "GET", "/v1/feed")
        out = []
        for item in data.items:
            try:
                await self._keyrings.get(item.session.sid)
            except CryptoError:
                continue
            messages, _ = await self._keyrings.decode(item.session.sid, [item.message])
            if not messages:
                continue
            agent = self._agents.get(item.session.agent_id)
            out.append(
                FeedItem(
                    session=await self._session(item.session),
                    message=messages[0],
                    agent_name=agent.agent_cert.name if agent else "",
                )
            )
        return out

    async def open_session(self, session_id: str) -> SessionView:
        """The session with its decrypted title and every verified message. CryptoError if it cannot be verified."""
        info = await self._keyrings.info(session_id)
        await self._keyrings.get(session_id, info)
        messages, _ = await whole_timeline(self._http, self._keyrings, session_id)
        return SessionView(session=await self._session(info), messages=messages)

    async def _request(self, session_id: str, message_id: str) -> TimelineMessage:
        """The one request, fetched and verified alone (a Claude Code session may hold thousands of events)."""
        stored = await self._http.model(wire.MessageOut, "GET", f"/v1/sessions/{session_id}/messages/{message_id}")
        decoded, _ = await self._keyrings.decode(session_id, [stored])
        for m in decoded:
            if m.id == message_id:
                return m
        raise NotFound(404, "not_found", f"no verifiable message {message_id} in session {session_id}")

    async def respond(
        self,
        session_id: str,
        message_id: str,
        *,
        action: str | None = None,
        answers: Mapping[str, Any] | None = None,
        text: str | None = None,
        permissions: Sequence[Any] | None = None,
    ) -> SentMessage:
        """Answer a request: a button's `action`, or `answers` to its questions, and/or a `text`.

        The answer is checked against the request (offered actions, question ids, required answers,
        option values; numbers given as strings are converted) and raises ValueError when it does not fit.
        """
        request = await self._request(session_id, message_id)
        payload = response_payload(
            message_id, action=action, answers=answers, text=text, permissions=permissions, request=request.content
        )
        meta = wire.MessageMeta(type="response", reply_to=message_id)
        stored = await send_payload(self._http, self._keyrings, session_id, payload, meta)
        return SentMessage(id=stored.mid, seq=stored.seq, session_id=session_id, status=stored.status,
                           created_at=stored.created_at)

    async def send_instruction(self, session_id: str, text: str) -> SentMessage:
        """An instruction for the agent ("guide your agent"), encrypted like every message."""
        if not text.strip():
            raise ValueError("an instruction needs some text")
        payload = {"v": 1, "type": "instruction", "text": text}
        stored = await send_payload(
            self._http, self._keyrings, session_id, payload, wire.MessageMeta(type="instruction")
        )
        return SentMessage(id=stored.mid, seq=stored.seq, session_id=session_id, status=stored.status,
                           created_at=stored.created_at)

    async def create_guest_link(self, session_id: str, label: str = "guest", expires_in: int = 3600) -> GuestLink:
        """A guest link, the guest certified by this owner; `a=` is the session's root (the agent's key)."""
        kr = await self._keyrings.get(session_id)
        return await invite_guest(self._http, self._keyrings, session_id, label, expires_in, kr.root_ed25519)

    # --- activity and readers ---------------------------------------------------------------------

    async def activity(self, agent_id: str, hours: int = 24, days: int = 30) -> Activity:
        """An agent's figures from routing metadata: open requests, response times, SLA, messages per hour."""
        data = await self._http.model(wire.Activity, "GET", f"/v1/agents/{agent_id}/activity",
                                      params={"hours": hours, "days": days})
        return Activity.model_validate(data.model_dump())

    async def grant_reader(self, agent_id: str, reader_agent_id: str) -> None:
        """Let `reader_agent_id` read `agent_id`'s sessions (the agent adds it on its next `sync_readers()`)."""
        await self._http.request("POST", f"/v1/agents/{agent_id}/readers",
                                 body=wire.ReaderGrant(reader_agent_id=reader_agent_id))

    async def withdraw_reader(self, agent_id: str, reader_agent_id: str) -> None:
        """Withdraw it: the relay stops serving the reader at once; the agent then rotates it out."""
        await self._http.request("DELETE", f"/v1/agents/{agent_id}/readers/{reader_agent_id}")


class OwnerClient:
    """The owner's client, blocking; see AsyncOwnerClient for what each method does."""

    def __init__(self, inner: AsyncOwnerClient) -> None:
        self._async = inner
        self._portal = Portal()

    @classmethod
    def load(cls, *, home: str | Path | None = None, transport: httpx.AsyncBaseTransport | None = None) -> OwnerClient:
        return cls(AsyncOwnerClient.load(home=home, transport=transport))

    @staticmethod
    def setup(
        relay_url: str | None,
        setup_link_or_token: str,
        *,
        device_name: str = "terminal",
        home: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        overwrite: bool = False,
    ) -> str:
        portal = Portal()
        try:
            return portal.call(
                AsyncOwnerClient.setup, relay_url, setup_link_or_token, device_name=device_name, home=home,
                transport=transport, overwrite=overwrite,
            )
        finally:
            portal.close()

    @classmethod
    def sign_in(
        cls,
        relay_url: str,
        recovery_key: str,
        *,
        device_name: str = "terminal",
        home: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> OwnerClient:
        client = cls.__new__(cls)
        client._portal = Portal()
        try:
            client._async = client._portal.call(
                AsyncOwnerClient.sign_in, relay_url, recovery_key, device_name=device_name, home=home,
                transport=transport,
            )
        except BaseException:
            client._portal.close()
            raise
        return client

    @property
    def owner_id(self) -> str:
        return self._async.owner_id

    @property
    def base_url(self) -> str:
        return self._async.base_url

    def close(self) -> None:
        self._portal.close(self._async.aclose)

    def __enter__(self) -> OwnerClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def agents(self) -> list[Agent]:
        return self._portal.call(self._async.agents)

    def inspect_pairing(self, link: str) -> PairingRequest:
        return self._portal.call(self._async.inspect_pairing, link)

    def approve_pairing(self, link: str) -> Agent:
        return self._portal.call(self._async.approve_pairing, link)

    def refuse_pairing(self, link: str) -> PairingRequest:
        return self._portal.call(self._async.refuse_pairing, link)

    def sessions(
        self, status: wire.SessionStatus | None = None, kind: str | None = None, agent: str | None = None,
        limit: int | None = None,
    ) -> list[Session]:
        return self._portal.call(self._async.sessions, status, kind, agent, limit)

    def feed(self) -> list[FeedItem]:
        return self._portal.call(self._async.feed)

    def open_session(self, session_id: str) -> SessionView:
        return self._portal.call(self._async.open_session, session_id)

    def respond(
        self,
        session_id: str,
        message_id: str,
        *,
        action: str | None = None,
        answers: Mapping[str, Any] | None = None,
        text: str | None = None,
        permissions: Sequence[Any] | None = None,
    ) -> SentMessage:
        return self._portal.call(
            self._async.respond, session_id, message_id, action=action, answers=answers, text=text,
            permissions=permissions,
        )

    def send_instruction(self, session_id: str, text: str) -> SentMessage:
        return self._portal.call(self._async.send_instruction, session_id, text)

    def create_guest_link(self, session_id: str, label: str = "guest", expires_in: int = 3600) -> GuestLink:
        return self._portal.call(self._async.create_guest_link, session_id, label, expires_in)

    def activity(self, agent_id: str, hours: int = 24, days: int = 30) -> Activity:
        return self._portal.call(self._async.activity, agent_id, hours, days)

    def grant_reader(self, agent_id: str, reader_agent_id: str) -> None:
        self._portal.call(self._async.grant_reader, agent_id, reader_agent_id)

    def withdraw_reader(self, agent_id: str, reader_agent_id: str) -> None:
        self._portal.call(self._async.withdraw_reader, agent_id, reader_agent_id)

