"""AsyncHiloopClient: the agent's side of Hiloop (interfaces §3).

    async with AsyncHiloopClient() as client:            # the only stored agent, or api_key=/HILOOP_AGENT
        session = await client.create_session("Deploy v2.4.1", priority="high")
        sent = await client.send_message(session.id, [
            {"type": "kv", "entries": [{"label": "version", "value": "2.4.1"}]},
            {"type": "button_group", "buttons": [{"label": "Approve", "action": "approve", "variant": "primary"},
                                                 {"label": "Deny", "action": "deny", "variant": "danger"}]},
        ])
        answer = await client.await_response(session.id, sent.id, timeout=300)

Everything is encrypted before it leaves the process. An answer counts only when it verifies against a
certificate of the session with an accepted role (the owner, by default); the agent signed the owner's
certificate itself with the keys pinned at pairing, so the relay cannot forge one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import httpx

from hiloop import wire
from hiloop._agent_extras import AgentExtras
from hiloop._http import POLL_HOLD, Http
from hiloop._requests import DeadlineLike, message_payload, response_from, signed_deadline, utc_deadline
from hiloop._sessions import PAGE, Keyrings, fetch_timeline, send_payload, session_model
from hiloop.crypto import (
    CryptoError,
    Identity,
    PublicKeys,
    SessionKeyring,
    b64u_decode,
    guest_fragment,
    guest_identity,
    new_id,
)
from hiloop.errors import ConfigError, Conflict, NotFound, ResponseTimeout
from hiloop.models import GuestLink, Response, SentMessage, Session, Timeline
from hiloop.store import AgentCredentials, load_agent

__all__ = ["AsyncHiloopClient"]

OWNER_ONLY: tuple[str, ...] = ("owner",)


class AsyncHiloopClient(AgentExtras):
    """An agent's client. Loads the agent's identity from HILOOP_HOME; talks to its relay over httpx.

    `api_key` (or HILOOP_API_KEY) selects the stored agent with that key; else `agent` (or HILOOP_AGENT)
    names one; else the only one stored is used. `base_url` (or HILOOP_URL) overrides the stored relay URL.
    `transport` is handed to httpx (tests pass an ASGI or proxy transport).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        agent: str | None = None,
        home: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        credentials: AgentCredentials | None = None,
    ) -> None:
        if credentials is None:
            credentials = load_agent(api_key=api_key or os.environ.get("HILOOP_API_KEY") or None, name=agent, home=home)
        self.credentials = credentials
        url = base_url or os.environ.get("HILOOP_URL") or credentials.relay_url
        if not url:
            raise ConfigError("no relay URL: pass base_url= or set HILOOP_URL")
        try:
            self._identity = Identity.from_private(
                b64u_decode(credentials.x25519_sk, 32), b64u_decode(credentials.ed25519_seed, 32)
            )
            self._owner_keys = PublicKeys(
                b64u_decode(credentials.owner_x25519, 32), b64u_decode(credentials.owner_ed25519, 32)
            )
        except CryptoError as exc:
            raise ConfigError(f"the stored keys of agent {credentials.name!r} are damaged: {exc}") from exc
        self._http = Http(url, credentials.api_key, transport=transport, timeout=timeout)
        self._init_extras()  # webhooks, activity, readers (hiloop/_agent_extras.py)
        self._keyrings = Keyrings(self._http, self._identity, self._member_id, self._root_for)
        self._requests: dict[tuple[str, str], tuple[int, datetime | None, str | None]] = {}
        self._latest_requests: dict[str, str] = {}  # session id -> newest request sent by this client

    # --- identity ---------------------------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        return self.credentials.agent_id

    @property
    def name(self) -> str:
        return self.credentials.name

    @property
    def base_url(self) -> str:
        return self._http.base_url

    async def _root_for(self, info: wire.SessionInfo) -> bytes:
        if info.agent_id and info.agent_id != self.agent_id:
            return await self._reader_root(info)  # another agent's session, read-only
        return self._identity.ed25519_pub

    # --- lifecycle --------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHiloopClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- sessions ---------------------------------------------------------------------------------

    async def create_session(
        self,
        title: str = "",
        *,
        priority: wire.Priority = "normal",
        deadline: DeadlineLike = None,
        is_public: bool = False,
        public_mode: wire.PublicMode = "respond",
        kind: str = "default",
    ) -> Session:
        """A new session rooted at this agent, shared with its owner; the title is encrypted."""
        sid = new_id("s_")
        kr, members, wraps = SessionKeyring.create(sid, root=self._identity, owner=self._owner_keys)
        await self._add_readers_at_creation(kr, members, wraps)  # the readers the owner granted
        title_env = (
            wire.Envelope.model_validate(kr.seal({"v": 1, "type": "title", "title": title}, mid="title-0"))
            if title
            else None
        )
        body = wire.SessionCreate(
            sid=sid,
            kind=kind,
            priority=priority,
            deadline=utc_deadline(deadline),
            is_public=is_public,
            public_mode=public_mode,
            title=title_env,
            members=[wire.MemberCert.model_validate(m) for m in members],
            wraps=[wire.Wrap.model_validate(w) for w in wraps],
        )
        info = await self._http.model(wire.SessionInfo, "POST", "/v1/sessions", body=body)
        self._keyrings.put(sid, kr)
        return session_model(info, title)

    async def get_session(self, session_id: str) -> Session:
        info = await self._keyrings.info(session_id)
        return session_model(info, await self._title(info))

    async def list_sessions(
        self, status: wire.SessionStatus | None = None, kind: str | None = None, limit: int | None = None,
        *, include_readable: bool = False,
    ) -> list[Session]:
        """This agent's sessions, newest first, with decrypted titles; with `include_readable`, also other
        agents' sessions it may read (their `agent_id` is not this agent's)."""
        data = await self._http.model(
            wire.SessionList, "GET", "/v1/sessions", params={"status": status, "kind": kind, "limit": limit}
        )
        own = [session_model(info, await self._title(info)) for info in data.sessions]
        if not include_readable:
            return own
        both = own + await self.list_readable_sessions(status, kind, limit)
        both.sort(key=lambda s: (s.created_at is not None, s.created_at), reverse=True)
        return both[:limit] if limit else both

    async def close_session(self, session_id: str) -> Session:
        info = await self._http.model(wire.SessionInfo, "POST", f"/v1/sessions/{session_id}/close")
        return session_model(info, await self._title(info))

    async def _title(self, info: wire.SessionInfo) -> str:
        if info.title is None:
            return ""
        try:
            await self._keyrings.get(info.sid, info if info.members else None)
        except CryptoError:
            return ""
        return await self._keyrings.title(info)

    # --- messages ---------------------------------------------------------------------------------

    async def send_message(
        self,
        session_id: str,
        components: Sequence[Any],
        *,
        type: wire.MessageType | None = None,
        priority: wire.Priority = "normal",
        requires_response: bool | None = None,
        deadline: DeadlineLike = None,
        default_action: str | None = None,
        text: str | None = None,
    ) -> SentMessage:
        """Encrypt and send components. `type` defaults to "decision" for interactive components, else
        "text"; `requires_response` defaults to whether they are interactive. `deadline` is a datetime,
        a timedelta or seconds from now; when it passes, await_response returns `default_action`."""
        due = utc_deadline(deadline)
        payload, interactive = message_payload(components, default_action=default_action, text=text, deadline=due)
        needs = interactive if requires_response is None else requires_response
        if needs:
            payload["requires_response"] = True  # signed, unlike the routing flag beside it
        meta = wire.MessageMeta(
            type=type or ("decision" if interactive else "text"),
            priority=priority,
            requires_response=needs,
            deadline=due,
        )
        stored = await self._send(session_id, payload, meta)
        if needs:  # remembered for await_response; dropped once it returns
            self._requests[(session_id, stored.mid)] = (stored.seq, due, default_action)
            self._latest_requests[session_id] = stored.mid
        return SentMessage(
            id=stored.mid, seq=stored.seq, session_id=session_id, status=stored.status, created_at=stored.created_at
        )

    async def _send(self, sid: str, payload: dict[str, Any], meta: wire.MessageMeta) -> wire.MessageStored:
        return await send_payload(self._http, self._keyrings, sid, payload, meta)

    async def get_session_timeline(
        self, session_id: str, after: int = 0, wait: float = 0, limit: int | None = None
    ) -> Timeline:
        """Verified, decrypted messages after `after` (a seq); `wait` > 0 long-polls up to that many seconds."""
        return await self._timeline(session_id, after, wait, limit)

    async def _timeline(self, sid: str, after: int, wait: float, limit: int | None) -> Timeline:
        data = await self._fetch(sid, after, wait, limit)
        messages, skipped = await self._keyrings.decode(sid, data.messages)
        return Timeline(
            session_id=sid, messages=messages, cursor=data.cursor, session_status=data.session_status, skipped=skipped
        )

    async def _fetch(self, sid: str, after: int, wait: float, limit: int | None) -> wire.Timeline:
        return await fetch_timeline(self._http, sid, after, wait, limit)

    # --- answers ----------------------------------------------------------------------------------

    async def await_response(
        self,
        session_id: str,
        message_id: str | None = None,
        timeout: float | None = 300,
        *,
        accept_roles: Sequence[str] = OWNER_ONLY,
    ) -> Response:
        """Wait for a verified answer to a request and return it.

        `message_id` defaults to this agent's newest request in the session that expects an answer: the one
        this client sent last, or else the newest the timeline holds (from another process, pass the id: a
        relay could withhold newer messages from the timeline).

        Only answers signed by a member whose certificate has a role in `accept_roles` count (the owner
        by default; `("owner", "guest")` for polls); anything else is ignored. When the request's
        deadline passes first, a Response with `expired=True` and the request's `default_action` is
        returned. Raises ResponseTimeout when `timeout` seconds pass first.
        """
        if message_id is None:
            message_id = await self._latest_request(session_id)
        found, expired = await self._watch(
            session_id, message_id, accept_roles, lambda rs: bool(rs), timeout, expire=True
        )
        result = found[0] if found else expired
        if result is not None:
            self._requests.pop((session_id, message_id), None)
            if self._latest_requests.get(session_id) == message_id:
                del self._latest_requests[session_id]
            return result
        raise ResponseTimeout(
            f"no answer to {message_id} within {timeout:g} s", session_id=session_id, message_id=message_id
        )

    async def _latest_request(self, sid: str) -> str:
        """The newest message this agent sent in `sid` that requires a response."""
        if sid in self._latest_requests:
            return self._latest_requests[sid]
        after, newest = 0, None
        while True:
            data = await self._fetch(sid, after, 0, PAGE)
            for m in data.messages:
                if m.from_ != "agent" or m.meta.type in ("tool_event", "response", "reaction"):
                    continue
                # routing metadata is the relay's word: count only what this agent signed as a request
                opened = await self._keyrings.open(sid, m.envelope)
                if opened is not None and opened.sender == "agent" and opened.mid == m.mid and (
                    opened.payload.get("type") == "message" and opened.payload.get("requires_response") is True
                ):
                    newest = m.mid
            after = max(after, data.cursor)
            if len(data.messages) < PAGE:
                break
        if newest is None:
            raise NotFound(404, "not_found", f"session {sid} has no request from this agent to wait for")
        return newest

    async def responses(
        self,
        session_id: str,
        message_id: str,
        accept_roles: Sequence[str] = ("owner", "guest"),
        *,
        at_least: int = 0,
        timeout: float = 0,
    ) -> list[Response]:
        """Every verified answer to a request, in order (a poll's votes; a person may answer twice).

        With `at_least`, long-polls up to `timeout` seconds until that many have arrived, then returns
        what is there (possibly fewer).
        """
        found, _ = await self._watch(
            session_id, message_id, accept_roles, lambda rs: len(rs) >= at_least, timeout, expire=False
        )
        return found

    async def _watch(
        self,
        sid: str,
        mid: str,
        accept_roles: Sequence[str],
        enough: Callable[[list[Response]], bool],
        timeout: float | None,
        *,
        expire: bool,
    ) -> tuple[list[Response], Response | None]:
        """Scan the timeline from the request on, long-polling until `enough(found)`, the deadline
        (when `expire`), the session's close, or `timeout`."""
        roles = frozenset(accept_roles)
        now = anyio.current_time()
        end = math.inf if timeout is None else now + max(0.0, timeout)
        known = self._requests.get((sid, mid))
        after = max(0, known[0] - 1) if known else 0
        deadline = known[1] if known else None
        default_action = known[2] if known else None
        seen_request = known is not None
        found: list[Response] = []
        wait = 0.0
        while True:
            data = await self._fetch(sid, after, wait, PAGE)
            for m in data.messages:
                if m.mid == mid:
                    if not seen_request:
                        # Sent by another process: its deadline and default action come from what this
                        # agent signed, never from the relay's routing metadata.
                        seen_request = True
                        opened = await self._keyrings.open(sid, m.envelope)
                        if opened is not None and opened.sender == "agent" and opened.mid == mid:
                            deadline = signed_deadline(opened.payload)
                            action = opened.payload.get("default_action")
                            default_action = action if isinstance(action, str) else None
                    continue
                if m.meta.type != "response" and m.meta.reply_to != mid:
                    continue
                opened = await self._keyrings.open(sid, m.envelope)
                if opened is None or opened.role not in roles:
                    continue
                r = response_from(sid, mid, opened, seq=m.seq, created_at=m.created_at)
                if r is not None:
                    found.append(r)
            after = max(after, data.cursor)
            if enough(found):
                return found, None
            if len(data.messages) >= PAGE:
                wait = 0.0
                continue
            if not seen_request:
                raise NotFound(404, "not_found", f"no message {mid} in session {sid}")
            now = anyio.current_time()
            to_deadline = math.inf
            if expire and deadline is not None:
                to_deadline = (deadline - datetime.now(timezone.utc)).total_seconds()
                if to_deadline <= 0:
                    return found, Response(session_id=sid, request_id=mid, action=default_action, expired=True)
            if data.session_status == "closed":
                if not expire:
                    return found, None
                raise Conflict(409, "session_closed", f"session {sid} was closed before {mid} was answered")
            if now >= end:
                return found, None
            wait = min(float(POLL_HOLD), end - now, to_deadline)

    async def ask(
        self,
        session_id: str | None = None,
        components: Sequence[Any] = (),
        *,
        timeout: float | None = 300,
        title: str | None = None,
        type: wire.MessageType | None = None,
        priority: wire.Priority = "normal",
        deadline: DeadlineLike = None,
        default_action: str | None = None,
        text: str | None = None,
        accept_roles: Sequence[str] = OWNER_ONLY,
    ) -> Response:
        """Send a request and wait for its answer; with no session, open one titled `title`."""
        if session_id is None:
            session_id = (await self.create_session(title or "Question", priority=priority)).id
        sent = await self.send_message(
            session_id,
            components,
            type=type,
            priority=priority,
            requires_response=True,
            deadline=deadline,
            default_action=default_action,
            text=text,
        )
        return await self.await_response(session_id, sent.id, timeout, accept_roles=accept_roles)

    # --- guests -----------------------------------------------------------------------------------

    async def create_guest_token(self, session_id: str, label: str = "guest", expires_in: int = 3600) -> GuestLink:
        """A guest link for a public session. The guest's secret is in the link's fragment only."""
        return await invite_guest(self._http, self._keyrings, session_id, label, expires_in, self._identity.ed25519_pub)


async def invite_guest(
    http: Http, keyrings: Keyrings, sid: str, label: str, expires_in: int, root_ed25519: bytes
) -> GuestLink:
    """Certify a new guest (signed by the caller, agent or owner), wrap the current key, post, build the link."""
    kr = await keyrings.refresh(sid)
    secret = os.urandom(32)
    guest_id = new_id("g_", 6)
    cert, wrap = kr.add_member(guest_id, "guest", guest_identity(secret, sid).public())
    body = wire.GuestCreate(
        label=label,
        expires_in=expires_in,
        member=wire.MemberCert.model_validate(cert),
        wrap=wire.Wrap.model_validate(wrap),
    )
    created = await http.model(wire.GuestCreated, "POST", f"/v1/sessions/{sid}/guests", body=body)
    return GuestLink(
        session_id=sid,
        guest_id=created.guest_id,
        label=created.label,
        token=created.token,
        join_url=f"{http.base_url}/join/{created.token}#{guest_fragment(secret, root_ed25519)}",
        expires_at=created.expires_at,
    )

