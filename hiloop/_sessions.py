"""Verified views of sessions, shared by the agent, owner and guest clients.

Each participant pins the session's root key its own way (the agent is the root; the owner checks the
agent certificate it signed at pairing; a guest takes `a=` from its link) and keeps one SessionKeyring
per session. When an envelope names a member or an epoch the keyring does not know, the session's
members and wraps are fetched again; anything that still fails verification is dropped, never shown.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio

from hiloop import wire
from hiloop._http import Http, poll_timeout
from hiloop.crypto import CryptoError, Identity, Opened, SessionKeyring, new_mid
from hiloop.errors import Conflict, TransportError
from hiloop.models import Session, TimelineMessage

RootFor = Callable[[wire.SessionInfo], Awaitable[bytes]]


def session_model(info: wire.SessionInfo, title: str = "") -> Session:
    return Session(
        id=info.sid,
        title=title,
        kind=info.kind,
        priority=info.priority,
        deadline=info.deadline,
        status=info.status,
        is_public=info.is_public,
        public_mode=info.public_mode,
        agent_id=info.agent_id,
        epoch=info.epoch,
        open_requests=info.open_requests,
        last_seq=info.last_seq,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def _dump(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [i.model_dump(by_alias=True) for i in items]


class Keyrings:
    """One participant's SessionKeyrings, loaded on demand and refreshed when an envelope needs it."""

    def __init__(self, http: Http, me: Identity, my_id: Callable[[str], str], root_for: RootFor) -> None:
        self._http = http
        self._me = me
        self._my_id = my_id
        self._root_for = root_for
        self._cache: dict[str, SessionKeyring] = {}

    def put(self, sid: str, kr: SessionKeyring) -> None:
        self._cache[sid] = kr

    def cached(self, sid: str) -> SessionKeyring | None:
        return self._cache.get(sid)

    async def info(self, sid: str) -> wire.SessionInfo:
        return await self._http.model(wire.SessionInfo, "GET", f"/v1/sessions/{sid}")

    async def get(self, sid: str, info: wire.SessionInfo | None = None) -> SessionKeyring:
        """The keyring for `sid`, built from the relay's members and wraps on first use (CryptoError if they fail)."""
        kr = self._cache.get(sid)
        if kr is not None:
            return kr
        if info is None or not info.members:
            info = await self.info(sid)
        kr = SessionKeyring(sid, root_ed25519=await self._root_for(info), me=self._me, my_id=self._my_id(sid))
        kr.load(members=_dump(info.members), wraps=_dump(info.wraps), removed=info.removed)
        self._cache[sid] = kr
        return kr

    async def refresh(self, sid: str, info: wire.SessionInfo | None = None) -> SessionKeyring:
        """Merge the relay's current members and wraps; on CryptoError the keyring is left as it was."""
        kr = self._cache.get(sid)
        if kr is None:
            return await self.get(sid, info)
        if info is None or not info.members:
            info = await self.info(sid)
        kr.load(members=_dump(info.members), wraps=_dump(info.wraps), removed=info.removed)
        return kr

    async def open(self, sid: str, envelope: wire.Envelope) -> Opened | None:
        """The verified, decrypted message, or None when it does not verify (it is then ignored).
        A reader never writes: anything signed by a reader is ignored too."""
        opened = await self._open(sid, envelope)
        return None if opened is None or opened.role == "reader" else opened

    async def _open(self, sid: str, envelope: wire.Envelope) -> Opened | None:
        env = envelope.wire()
        try:
            kr = await self.get(sid)
        except CryptoError:
            return None
        try:
            return kr.open(env)
        except CryptoError:
            if not self._may_be_stale(kr, envelope):
                return None
        try:
            kr = await self.refresh(sid)
            return kr.open(env)
        except CryptoError:
            return None

    @staticmethod
    def _may_be_stale(kr: SessionKeyring, env: wire.Envelope) -> bool:
        return (
            env.from_ not in kr.members
            or env.epoch > kr.epoch
            or env.from_ not in kr.holders(env.epoch)
        )

    async def title(self, info: wire.SessionInfo) -> str:
        """The decrypted title, or "" when there is none or it does not verify."""
        if info.title is None:
            return ""
        opened = await self.open(info.sid, info.title)
        if opened is None or opened.payload.get("type") != "title" or opened.sender not in ("agent", "owner"):
            return ""
        title = opened.payload.get("title")
        return title if isinstance(title, str) else ""

    async def decode(self, sid: str, messages: Iterable[wire.MessageOut]) -> tuple[list[TimelineMessage], int]:
        """Verified, decrypted timeline messages and the number left out because they failed verification."""
        out: list[TimelineMessage] = []
        skipped = 0
        for m in messages:
            opened = await self.open(sid, m.envelope)
            if opened is None or opened.mid != m.mid:
                skipped += 1
                continue
            out.append(timeline_message(m, opened))
        return out, skipped


def timeline_message(m: wire.MessageOut, opened: Opened) -> TimelineMessage:
    return TimelineMessage(
        seq=m.seq,
        id=m.mid,
        sender_id=opened.sender,
        role=opened.role,
        type=m.meta.type,
        content=opened.payload,
        status=m.status,
        created_at=m.created_at,
        reply_to=m.meta.reply_to,
        priority=m.meta.priority,
        requires_response=m.meta.requires_response,
        deadline=m.meta.deadline,
    )


SEND_ATTEMPTS = 4


async def send_payload(
    http: Http, keyrings: Keyrings, sid: str, payload: dict[str, Any], meta: wire.MessageMeta, mid: str | None = None
) -> wire.MessageStored:
    """Seal `payload` for `sid` and post it under one mid.

    A transport failure is retried with the very same body (the relay stores it once: sends are
    idempotent by mid); a `stale_epoch` conflict (the session was rotated) re-seals once for the new epoch.
    """
    mid = mid or new_mid()
    kr = await keyrings.get(sid)
    for rekey in range(2):
        body = wire.MessageSend(envelope=wire.Envelope.model_validate(kr.seal(payload, mid)), meta=meta)
        try:
            return await _post_idempotent(http, sid, body)
        except Conflict as exc:
            if exc.code != "stale_epoch" or rekey:
                raise
            kr = await keyrings.refresh(sid)
    raise AssertionError("unreachable")


async def _post_idempotent(http: Http, sid: str, body: wire.MessageSend) -> wire.MessageStored:
    delay = 0.25
    for attempt in range(SEND_ATTEMPTS):
        try:
            return await http.model(wire.MessageStored, "POST", f"/v1/sessions/{sid}/messages", body=body)
        except TransportError:
            if attempt == SEND_ATTEMPTS - 1:
                raise
            await anyio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


PAGE = 500


async def fetch_timeline(http: Http, sid: str, after: int, wait: float = 0, limit: int | None = None) -> wire.Timeline:
    """One page of the raw timeline; `wait` > 0 long-polls (the read timeout exceeds the hold)."""
    hold = max(0, min(60, math.ceil(wait))) if wait > 0 else 0
    return await http.model(
        wire.Timeline,
        "GET",
        f"/v1/sessions/{sid}/messages",
        params={"after": after, "wait": hold or None, "limit": limit},
        timeout=poll_timeout(hold) if hold else None,
    )


async def whole_timeline(http: Http, keyrings: Keyrings, sid: str) -> tuple[list[TimelineMessage], wire.Timeline | None]:
    """Every verified message of a session, oldest first, and the last raw page."""
    out: list[TimelineMessage] = []
    after = 0
    last: wire.Timeline | None = None
    while True:
        last = await fetch_timeline(http, sid, after, 0, PAGE)
        messages, _ = await keyrings.decode(sid, last.messages)
        out.extend(messages)
        if len(last.messages) < PAGE or last.cursor <= after:
            return out, last
        after = last.cursor
