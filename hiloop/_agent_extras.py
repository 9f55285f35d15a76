"""The agent client's webhooks, activity figures and read-only visibility (readers), as a mixin of
AsyncHiloopClient.

Readers. The owner lets agent A read agent B's sessions. The relay lists A under B's `readers` and B
under A's `readable`, each with the agent certificate the owner signed; both sides trust a peer's keys
only from that certificate, checked against the owner key pinned at pairing. B adds A to its sessions
(`sync_readers()`, and new sessions include granted readers at creation) as the member `r_<A>` with
role `reader`: a certificate B signs and a wrap of every epoch's key, so A reads the whole history.
When the grant is withdrawn, the relay removes A at once and B's next `sync_readers()` rotates the
session without A, so A holds no key of any later epoch. A reads through the same calls as for its
own sessions (`get_session_timeline`, `get_session`), rooted at B's certified key; nothing a reader
signs counts as a message or an answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hiloop import wire
from hiloop._requests import response_from
from hiloop._sessions import timeline_message
from hiloop.crypto import (
    CryptoError,
    PublicKeys,
    SessionKeyring,
    b64u_decode,
    sign_member,
    verify_agent_cert,
    wrap_key,
)
from hiloop.errors import Conflict, HiloopError
from hiloop.models import (
    Activity,
    ReaderSync,
    Session,
    TimelineMessage,
    Webhook,
    WebhookEvent,
)
from hiloop.webhooks import TOLERANCE, verify_webhook

if TYPE_CHECKING:
    from hiloop._http import Http
    from hiloop._sessions import Keyrings
    from hiloop._sync import Portal
    from hiloop.client import AsyncHiloopClient
    from hiloop.crypto import Identity
    from hiloop.store import AgentCredentials

PEERS_TTL = 60.0  # seconds the agent's reader grants are cached for new sessions
READER_PREFIX = "r_"
LIST_PAGE = 500


def webhook_model(w: wire.WebhookOut, secret: str | None = None) -> Webhook:
    return Webhook(id=w.webhook_id, url=w.url, events=list(w.events), created_at=w.created_at, secret=secret,
                   pending=w.pending, delivered=w.delivered, failed=w.failed, last_error=w.last_error)


def activity_model(a: wire.Activity) -> Activity:
    return Activity.model_validate(a.model_dump())


def verified_peers(peers: Sequence[wire.AgentPeer], owner_ed25519: bytes, owner_id: str) -> dict[str, PublicKeys]:
    """Agent id → keys, from the certificates that the owner signed; the others are left out."""
    out: dict[str, PublicKeys] = {}
    for peer in peers:
        cert = peer.agent_cert
        try:
            verify_agent_cert(cert.model_dump(), owner_ed25519)
            keys = PublicKeys(b64u_decode(cert.x25519, 32), b64u_decode(cert.ed25519, 32))
        except CryptoError:
            continue
        if cert.owner == owner_id and cert.agent == peer.agent_id:
            out[peer.agent_id] = keys
    return out


class AgentExtras:
    """Webhooks, activity and readers for AsyncHiloopClient (which provides the attributes below)."""

    _http: Http
    _keyrings: Keyrings
    _identity: Identity
    _owner_keys: PublicKeys
    credentials: AgentCredentials

    def _init_extras(self) -> None:
        self._reading: dict[str, str] = {}  # sid of another agent's session -> my reader member id there
        self._readers: dict[str, PublicKeys] = {}  # agents that may read my sessions (verified)
        self._readable: dict[str, PublicKeys] = {}  # agents whose sessions I may read (verified)
        self._peers_at = -PEERS_TTL * 2

    # --- webhooks ---------------------------------------------------------------------------------

    async def create_webhook(self, url: str, events: Sequence[wire.WebhookEventName] = ("response", "expired")
                             ) -> Webhook:
        """Register `url` for `events`. The returned `secret` (whsec_…) is shown only now: keep it to verify
        deliveries with `hiloop.webhooks.verify_webhook`."""
        body = wire.WebhookCreate(url=url, events=list(events))
        created = await self._http.model(wire.WebhookCreated, "POST", "/v1/webhooks", body=body)
        return webhook_model(created, created.secret)

    async def list_webhooks(self) -> list[Webhook]:
        data = await self._http.model(wire.WebhookList, "GET", "/v1/webhooks")
        return [webhook_model(w) for w in data.webhooks]

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._http.request("DELETE", f"/v1/webhooks/{webhook_id}")

    async def open_webhook(self, delivery: wire.WebhookDelivery, *,
                           accept_roles: Sequence[str] = ("owner",)) -> WebhookEvent:
        """Decrypt and verify what a delivery carries (its signature must have been checked first).

        For a `response`, `response` is set only when the answer is signed by an accepted role."""
        message: TimelineMessage | None = None
        response = None
        default_action = None
        request_id = None
        m = delivery.message
        if m is not None and delivery.sid is not None and m.sid == delivery.sid:
            opened = await self._keyrings.open(delivery.sid, m.envelope)
            if opened is not None and opened.mid == m.mid:
                message = timeline_message(m, opened)
                if delivery.event == "response" and m.meta.reply_to is not None:
                    request_id = m.meta.reply_to
                    if opened.role in accept_roles:
                        response = response_from(delivery.sid, request_id, opened, seq=m.seq,
                                                 created_at=m.created_at)
                if delivery.event == "expired":
                    request_id = m.mid
                    action = opened.payload.get("default_action") if opened.sender == "agent" else None
                    default_action = action if isinstance(action, str) else None
        return WebhookEvent(
            delivery_id=delivery.id, event=delivery.event, agent_id=delivery.agent_id, session_id=delivery.sid,
            created_at=delivery.created_at, message=message, request_id=request_id, response=response,
            default_action=default_action, data=dict(delivery.data),
        )

    async def read_webhook(self, headers: Mapping[str, str], body: bytes, secret: str, *,
                           tolerance: float = TOLERANCE, accept_roles: Sequence[str] = ("owner",)) -> WebhookEvent:
        """`verify_webhook` (raises InvalidWebhook), then `open_webhook`."""
        delivery = verify_webhook(headers, body, secret, tolerance=tolerance)
        return await self.open_webhook(delivery, accept_roles=accept_roles)

    # --- activity ---------------------------------------------------------------------------------

    async def activity(self, hours: int = 24, days: int = 30) -> Activity:
        """This agent's figures: open requests, response times, SLA kept/missed, messages per hour."""
        data = await self._http.model(wire.Activity, "GET", "/v1/agents/me/activity",
                                      params={"hours": hours, "days": days})
        return activity_model(data)

    # --- readers ----------------------------------------------------------------------------------

    async def _refresh_peers(self) -> None:
        me = await self._http.model(wire.AgentInfo, "GET", "/v1/agents/me")
        owner_id = self.credentials.owner_id
        self._readers = verified_peers(me.readers, self._owner_keys.ed25519, owner_id)
        self._readable = verified_peers(me.readable, self._owner_keys.ed25519, owner_id)
        self._peers_at = time.monotonic()

    async def _granted_readers(self) -> dict[str, PublicKeys]:
        """The readers to include in a new session (best effort: none when the relay cannot say)."""
        if time.monotonic() - self._peers_at > PEERS_TTL:
            try:
                await self._refresh_peers()
            except HiloopError:
                return {}
        return dict(self._readers)

    def _member_id(self, sid: str) -> str:
        return self._reading.get(sid, "agent")

    async def _reader_root(self, info: wire.SessionInfo) -> bytes:
        """The root key of another agent's session this agent may read (from its owner-signed certificate)."""
        if info.agent_id not in self._readable:
            await self._refresh_peers()
        keys = self._readable.get(info.agent_id)
        if keys is None:
            raise CryptoError(f"session {info.sid} is not this agent's nor one it may read")
        self._reading[info.sid] = READER_PREFIX + self.credentials.agent_id
        return keys.ed25519

    async def _add_readers_at_creation(self, kr: SessionKeyring, members: list[dict[str, Any]],
                                       wraps: list[dict[str, Any]]) -> None:
        for agent_id, keys in sorted((await self._granted_readers()).items()):
            cert, wrap = kr.add_member(READER_PREFIX + agent_id, "reader", keys)
            members.append(cert)
            wraps.append(wrap)

    async def list_readable_sessions(self, status: wire.SessionStatus | None = None, kind: str | None = None,
                                     limit: int | None = None) -> list[Session]:
        """Other agents' sessions this agent may read (read-only), newest first, with decrypted titles."""
        from hiloop._sessions import session_model

        data = await self._http.model(wire.SessionList, "GET", "/v1/sessions",
                                      params={"readable": "true", "status": status, "kind": kind, "limit": limit})
        out = []
        for info in data.sessions:
            title = ""
            if info.title is not None:
                try:
                    await self._keyrings.get(info.sid)
                    title = await self._keyrings.title(info)
                except CryptoError:
                    title = ""
            out.append(session_model(info, title))
        return out

    async def _my_open_sessions(self) -> list[wire.SessionInfo]:
        out: list[wire.SessionInfo] = []
        before: datetime | None = None
        while True:
            params: dict[str, Any] = {"status": "open", "limit": LIST_PAGE,
                                      "before": None if before is None else before.isoformat()}
            page = (await self._http.model(wire.SessionList, "GET", "/v1/sessions", params=params)).sessions
            out.extend(page)
            if len(page) < LIST_PAGE:
                return out
            before = page[-1].created_at

    async def sync_readers(self) -> ReaderSync:
        """Bring this agent's open sessions in line with the owner's reader grants: add each granted
        reader (certificate + a wrap of every epoch's key) and rotate away any withdrawn one."""
        await self._refresh_peers()
        wanted = {READER_PREFIX + a: (a, keys) for a, keys in self._readers.items()}
        added: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        for info in await self._my_open_sessions():
            sid = info.sid
            kr = await self._keyrings.refresh(sid)
            newest = kr.holders(kr.latest_epoch)
            stale = sorted(m.id for m in kr.members.values()
                           if m.role == "reader" and m.id not in wanted and m.id in newest)
            if stale:
                await self._rotate_without(sid, stale)
                removed.extend((sid, rid[len(READER_PREFIX):]) for rid in stale)
                kr = await self._keyrings.refresh(sid)
            for rid, (agent_id, keys) in sorted(wanted.items()):
                if rid in kr.members:
                    continue  # a member already (or withdrawn once: a removed id is never reused)
                await self._add_reader(sid, kr, rid, keys)
                added.append((sid, agent_id))
        return ReaderSync(added=added, removed=removed)

    async def _rotate_without(self, sid: str, remove: list[str]) -> None:
        for attempt in range(2):
            kr = await self._keyrings.refresh(sid)
            epoch, wraps = kr.rotate(remove=remove)
            body = wire.Rotation(epoch=epoch, remove=remove, wraps=[wire.Wrap.model_validate(w) for w in wraps])
            try:
                info = await self._http.model(wire.SessionInfo, "POST", f"/v1/sessions/{sid}/rotate", body=body)
            except Conflict as exc:
                if exc.code != "epoch_conflict" or attempt:
                    raise
                continue
            await self._keyrings.refresh(sid, info)
            return

    async def _add_reader(self, sid: str, kr: SessionKeyring, rid: str, keys: PublicKeys) -> None:
        me = self._identity
        cert = sign_member(me, sid=sid, member_id=rid, role="reader", keys=keys, by=kr.my_id)
        wraps = []
        for epoch in range(kr.epoch + 1):
            try:
                key = kr.session_key(epoch)
            except CryptoError:
                continue
            wraps.append(wrap_key(me, by=kr.my_id, sid=sid, epoch=epoch, rid=rid, recipient_x25519=keys.x25519,
                                  session_key=key))
        body = wire.ReaderAdd(member=wire.MemberCert.model_validate(cert),
                              wraps=[wire.Wrap.model_validate(w) for w in wraps])
        info = await self._http.model(wire.SessionInfo, "POST", f"/v1/sessions/{sid}/readers", body=body)
        await self._keyrings.refresh(sid, info)


class SyncAgentExtras:
    """The blocking faces of AgentExtras, for HiloopClient (which provides `_portal` and `_async`)."""

    _portal: Portal
    _async: AsyncHiloopClient

    def create_webhook(self, url: str, events: Sequence[wire.WebhookEventName] = ("response", "expired")
                       ) -> Webhook:
        return self._portal.call(self._async.create_webhook, url, events)

    def list_webhooks(self) -> list[Webhook]:
        return self._portal.call(self._async.list_webhooks)

    def delete_webhook(self, webhook_id: str) -> None:
        self._portal.call(self._async.delete_webhook, webhook_id)

    def open_webhook(self, delivery: wire.WebhookDelivery, *, accept_roles: Sequence[str] = ("owner",)
                     ) -> WebhookEvent:
        return self._portal.call(
            self._async.open_webhook, delivery, accept_roles=accept_roles)

    def read_webhook(self, headers: Mapping[str, str], body: bytes, secret: str, *, tolerance: float = TOLERANCE,
                     accept_roles: Sequence[str] = ("owner",)) -> WebhookEvent:
        return self._portal.call(
            self._async.read_webhook, headers, body, secret, tolerance=tolerance, accept_roles=accept_roles)

    def activity(self, hours: int = 24, days: int = 30) -> Activity:
        return self._portal.call(self._async.activity, hours, days)

    def list_readable_sessions(self, status: wire.SessionStatus | None = None, kind: str | None = None,
                               limit: int | None = None) -> list[Session]:
        return self._portal.call(
            self._async.list_readable_sessions, status, kind, limit)

    def sync_readers(self) -> ReaderSync:
        return self._portal.call(self._async.sync_readers)
