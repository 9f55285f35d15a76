"""HiloopClient: the synchronous face of AsyncHiloopClient (same methods, same arguments, blocking).

    with HiloopClient() as client:
        answer = client.ask(None, [{"type": "text", "text": "Ship it?"},
                                   {"type": "button_group", "buttons": [{"label": "Yes", "action": "yes"}]}],
                            title="Release")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from hiloop import wire
from hiloop._agent_extras import SyncAgentExtras
from hiloop._requests import DeadlineLike
from hiloop._sync import Portal
from hiloop.client import OWNER_ONLY, AsyncHiloopClient
from hiloop.models import GuestLink, Response, SentMessage, Session, Timeline
from hiloop.store import AgentCredentials

__all__ = ["HiloopClient"]


class HiloopClient(SyncAgentExtras):
    """A blocking agent client; see AsyncHiloopClient for what each method does."""

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
        self._async = AsyncHiloopClient(
            api_key, base_url=base_url, agent=agent, home=home, transport=transport, timeout=timeout,
            credentials=credentials,
        )
        self._portal = Portal()

    @property
    def agent_id(self) -> str:
        return self._async.agent_id

    @property
    def name(self) -> str:
        return self._async.name

    @property
    def base_url(self) -> str:
        return self._async.base_url

    def close(self) -> None:
        self._portal.close(self._async.aclose)

    def __enter__(self) -> HiloopClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def create_session(
        self,
        title: str = "",
        *,
        priority: wire.Priority = "normal",
        deadline: DeadlineLike = None,
        is_public: bool = False,
        public_mode: wire.PublicMode = "respond",
        kind: str = "default",
    ) -> Session:
        return self._portal.call(
            self._async.create_session, title, priority=priority, deadline=deadline, is_public=is_public,
            public_mode=public_mode, kind=kind,
        )

    def get_session(self, session_id: str) -> Session:
        return self._portal.call(self._async.get_session, session_id)

    def list_sessions(
        self, status: wire.SessionStatus | None = None, kind: str | None = None, limit: int | None = None,
        *, include_readable: bool = False,
    ) -> list[Session]:
        return self._portal.call(self._async.list_sessions, status, kind, limit, include_readable=include_readable)

    def close_session(self, session_id: str) -> Session:
        return self._portal.call(self._async.close_session, session_id)

    def send_message(
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
        return self._portal.call(
            self._async.send_message, session_id, components, type=type, priority=priority,
            requires_response=requires_response, deadline=deadline, default_action=default_action, text=text,
        )

    def get_session_timeline(
        self, session_id: str, after: int = 0, wait: float = 0, limit: int | None = None
    ) -> Timeline:
        return self._portal.call(self._async.get_session_timeline, session_id, after, wait, limit)

    def await_response(
        self,
        session_id: str,
        message_id: str | None = None,
        timeout: float | None = 300,
        *,
        accept_roles: Sequence[str] = OWNER_ONLY,
    ) -> Response:
        return self._portal.call(
            self._async.await_response, session_id, message_id, timeout, accept_roles=accept_roles
        )

    def responses(
        self,
        session_id: str,
        message_id: str,
        accept_roles: Sequence[str] = ("owner", "guest"),
        *,
        at_least: int = 0,
        timeout: float = 0,
    ) -> list[Response]:
        return self._portal.call(
            self._async.responses, session_id, message_id, accept_roles, at_least=at_least, timeout=timeout
        )

    def ask(
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
        return self._portal.call(
            self._async.ask, session_id, components, timeout=timeout, title=title, type=type, priority=priority,
            deadline=deadline, default_action=default_action, text=text, accept_roles=accept_roles,
        )

    def create_guest_token(self, session_id: str, label: str = "guest", expires_in: int = 3600) -> GuestLink:
        return self._portal.call(self._async.create_guest_token, session_id, label, expires_in)
