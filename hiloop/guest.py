"""A guest's client: join a session from a guest link, read it, answer its requests.

    with GuestClient.from_link("http://relay/join/hlg_…#v=1&g=…&a=…") as guest:
        for m in guest.messages():
            ...
        guest.respond(message_id, answers={"where": "Sushi"})

The link's fragment holds the guest's secret and the session's root key: it is split off at once and
never sent. The guest derives its keys from the secret, then checks its own certificate (and every
other one) against the root key from the link before it unwraps the session key (crypto SPEC §6).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from hiloop import wire
from hiloop._http import Http
from hiloop._requests import response_payload
from hiloop._sessions import Keyrings, fetch_timeline, send_payload, session_model, whole_timeline
from hiloop._sync import Portal
from hiloop.crypto import CryptoError, guest_identity, parse_guest_fragment
from hiloop.errors import ConfigError, NotFound
from hiloop.models import SentMessage, Session, Timeline, TimelineMessage

__all__ = ["AsyncGuestClient", "GuestClient", "parse_join_link"]


def parse_join_link(join_url: str) -> tuple[str, str, str]:
    """(relay URL, guest token, fragment) from `<relay>/join/<token>#v=1&g=…&a=…`."""
    base, sep, fragment = join_url.strip().partition("#")
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    marker = path.rfind("/join/")
    if parts.scheme not in ("http", "https") or marker < 0 or not sep:
        raise ConfigError("invalid guest link: expected <relay>/join/<token>#v=1&g=…&a=…")
    token = path[marker + len("/join/"):]
    if not token or "/" in token:
        raise ConfigError("invalid guest link: no token")
    return f"{parts.scheme}://{parts.netloc}{path[:marker]}", token, fragment


class AsyncGuestClient:
    """A guest in one session. Build it with `await AsyncGuestClient.from_link(join_url)`."""

    def __init__(self, join_url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 30.0):
        relay, token, fragment = parse_join_link(join_url)
        try:
            self._secret, self._root = parse_guest_fragment(fragment)
        except CryptoError as exc:
            raise ConfigError(f"invalid guest link: {exc}") from exc
        self._http = Http(relay, token, transport=transport, timeout=timeout)
        self.session_id = ""
        self.guest_id = ""
        self.label = ""
        self.expires_at: datetime | None = None
        self._keyrings: Keyrings | None = None

    @classmethod
    async def from_link(
        cls, join_url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 30.0
    ) -> AsyncGuestClient:
        guest = cls(join_url, transport=transport, timeout=timeout)
        try:
            await guest._join()
        except BaseException:
            await guest.aclose()
            raise
        return guest

    async def _join(self) -> None:
        me = await self._http.model(wire.GuestInfo, "GET", "/v1/guest/me")
        self.session_id, self.guest_id, self.label, self.expires_at = me.sid, me.guest_id, me.label, me.expires_at
        identity = guest_identity(self._secret, me.sid)
        root = self._root

        async def root_for(_info: wire.SessionInfo) -> bytes:
            return root

        self._keyrings = Keyrings(self._http, identity, lambda _sid: me.guest_id, root_for)
        kr = await self._keyrings.get(me.sid)
        mine = kr.members.get(me.guest_id)
        if mine is None or mine.keys != identity.public():
            raise CryptoError("this link's guest has no valid certificate in the session")
        if kr.epoch < 0:
            raise CryptoError("no session key was wrapped for this guest")

    @property
    def _kr(self) -> Keyrings:
        if self._keyrings is None:
            raise ConfigError("not joined: use from_link()")
        return self._keyrings

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGuestClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def session(self) -> Session:
        info = await self._kr.info(self.session_id)
        return session_model(info, await self._kr.title(info))

    async def timeline(self, after: int = 0, wait: float = 0) -> Timeline:
        data = await fetch_timeline(self._http, self.session_id, after, wait)
        messages, skipped = await self._kr.decode(self.session_id, data.messages)
        return Timeline(session_id=self.session_id, messages=messages, cursor=data.cursor,
                        session_status=data.session_status, skipped=skipped)

    async def messages(self) -> list[TimelineMessage]:
        """Every verified message of the session, oldest first."""
        messages, _ = await whole_timeline(self._http, self._kr, self.session_id)
        return messages

    async def respond(
        self,
        message_id: str,
        *,
        action: str | None = None,
        answers: Mapping[str, Any] | None = None,
        text: str | None = None,
    ) -> SentMessage:
        """Answer a request (checked against its buttons or questions)."""
        request = next((m for m in await self.messages() if m.id == message_id), None)
        if request is None:
            raise NotFound(404, "not_found", f"no message {message_id} in this session")
        payload = response_payload(message_id, action=action, answers=answers, text=text, request=request.content)
        stored = await send_payload(
            self._http, self._kr, self.session_id, payload, wire.MessageMeta(type="response", reply_to=message_id)
        )
        return SentMessage(id=stored.mid, seq=stored.seq, session_id=self.session_id, status=stored.status,
                           created_at=stored.created_at)


class GuestClient:
    """A guest's blocking client; see AsyncGuestClient."""

    def __init__(self, inner: AsyncGuestClient, portal: Portal) -> None:
        self._async = inner
        self._portal = portal

    @classmethod
    def from_link(
        cls, join_url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 30.0
    ) -> GuestClient:
        portal = Portal()
        try:
            inner = portal.call(AsyncGuestClient.from_link, join_url, transport=transport, timeout=timeout)
        except BaseException:
            portal.close()
            raise
        return cls(inner, portal)

    @property
    def session_id(self) -> str:
        return self._async.session_id

    @property
    def guest_id(self) -> str:
        return self._async.guest_id

    @property
    def label(self) -> str:
        return self._async.label

    def close(self) -> None:
        self._portal.close(self._async.aclose)

    def __enter__(self) -> GuestClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def session(self) -> Session:
        return self._portal.call(self._async.session)

    def timeline(self, after: int = 0, wait: float = 0) -> Timeline:
        return self._portal.call(self._async.timeline, after, wait)

    def messages(self) -> list[TimelineMessage]:
        return self._portal.call(self._async.messages)

    def respond(
        self,
        message_id: str,
        *,
        action: str | None = None,
        answers: Mapping[str, Any] | None = None,
        text: str | None = None,
    ) -> SentMessage:
        return self._portal.call(self._async.respond, message_id, action=action, answers=answers, text=text)
