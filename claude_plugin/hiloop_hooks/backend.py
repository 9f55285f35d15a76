"""The daemon's Backend on the hiloop SDK (AsyncHiloopClient): the agent identity stored by
`hiloop agent add`, and its relay. SDK errors become RelayDown (try again later) or Rejected (never).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from hiloop import wire
from hiloop.client import AsyncHiloopClient
from hiloop.crypto import CryptoError
from hiloop.errors import APIError, ConfigError, HiloopError, RateLimited, ServerError, TransportError

from hiloop_hooks.daemon import Incoming, Rejected, RelayDown

T = TypeVar("T")
KIND = "claude_code"


class NotPaired(Exception):
    """No agent identity is stored: `hiloop agent add NAME` first."""


class SdkBackend:
    def __init__(self, client: AsyncHiloopClient, public_mode: str | None = None) -> None:
        self.client = client
        self.public_mode = public_mode

    @classmethod
    async def open(cls, env: Mapping[str, str], public_mode: str | None = None) -> SdkBackend:
        try:
            client = AsyncHiloopClient(timeout=10.0)
        except ConfigError as exc:
            raise NotPaired(str(exc)) from exc
        return cls(client, public_mode)

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except (TransportError, ServerError, RateLimited) as exc:
            raise RelayDown(exc.__class__.__name__) from exc
        except APIError as exc:
            raise Rejected(exc.code) from exc
        except (CryptoError, ValueError, HiloopError) as exc:
            raise Rejected(exc.__class__.__name__) from exc

    async def create_session(self, title: str) -> str:
        if self.public_mode in ("read", "respond"):
            session = await self._call(self.client.create_session(
                title, kind=KIND, is_public=True, public_mode=self.public_mode))  # type: ignore[arg-type]
        else:
            session = await self._call(self.client.create_session(title, kind=KIND))
        return session.id

    async def send_event(self, sid: str, event: str, data: dict[str, Any]) -> None:
        payload = {"v": 1, "type": "tool_event", "event": event, "data": data}
        send = getattr(self.client, "send_event", None)
        if send is not None:
            await self._call(send(sid, event, data))
        else:
            await self._call(self.client._send(sid, payload, wire.MessageMeta(type="tool_event")))

    async def send_request(
        self, sid: str, components: list[dict[str, Any]], *, type: str, deadline: float, default_action: str | None
    ) -> str:
        sent = await self._call(self.client.send_message(
            sid, components, type=type, requires_response=True, deadline=deadline, default_action=default_action,  # type: ignore[arg-type]
        ))
        return sent.id

    async def timeline(self, sid: str, after: int, wait: float) -> tuple[list[Incoming], int]:
        tl = await self._call(self.client.get_session_timeline(sid, after=after, wait=wait))
        out = [
            Incoming(seq=m.seq, mid=m.id, role=m.role, kind=str(m.content.get("type") or m.type), content=dict(m.content),
                     reply_to=_str(m.content.get("request")))  # signed, unlike the routing reply_to
            for m in tl.messages
        ]
        return out, tl.cursor

    async def close_session(self, sid: str) -> None:
        await self._call(self.client.close_session(sid))

    async def aclose(self) -> None:
        await self.client.aclose()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
