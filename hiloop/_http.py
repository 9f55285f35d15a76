"""The one place that talks HTTP: requests to the relay, errors translated into hiloop.errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from hiloop.errors import ConfigError, TransportError, error_for_status

M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = 30.0
POLL_HOLD = 30  # seconds the relay is asked to hold a long-poll (its maximum is 60)
POLL_MARGIN = 15.0  # the read timeout of a long-poll exceeds the hold by this much


def user_agent() -> str:
    from hiloop import __version__

    return f"hiloop-python/{__version__}"


def relay_root(url: str) -> str:
    """A relay URL without a trailing slash or `/v1`."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"invalid relay URL {url!r}: it must start with http:// or https://")
    return url


class Http:
    """An httpx.AsyncClient bound to one relay and one credential."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = relay_root(base_url)
        headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, transport=transport, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def set_token(self, token: str) -> None:
        self._client.headers["Authorization"] = f"Bearer {token}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send a request; return the decoded JSON body (None for 204); raise a HiloopError."""
        content: bytes | None = None
        headers: dict[str, str] = {}
        if body is not None:
            sent = body.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(body, BaseModel) else body
            content = json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        t = httpx.Timeout(timeout, connect=min(timeout, 10.0)) if timeout is not None else httpx.USE_CLIENT_DEFAULT
        try:
            resp = await self._client.request(method, path, content=content, params=query, headers=headers, timeout=t)
        except httpx.TimeoutException as exc:
            raise TransportError(f"timed out talking to the relay at {self.base_url}") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot reach the relay at {self.base_url}: {exc}") from exc
        if resp.status_code == 204:
            return None
        data: Any
        try:
            data = resp.json() if resp.content else None
        except ValueError as exc:
            if resp.is_success:
                raise TransportError(f"the relay at {self.base_url} sent a response that is not JSON") from exc
            data = None
        if resp.is_success:
            return data
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            message = str(data.get("error") or data["code"])
            detail = data.get("detail")
            if isinstance(detail, list) and detail:
                parts = [_describe(d) for d in detail[:3]]
                message = f"{message}: {'; '.join(parts)}"
            elif isinstance(detail, str) and detail:
                message = detail  # the specific reason; `error` is the code's generic sentence
            raise error_for_status(resp.status_code, data["code"], message, detail)
        raise error_for_status(resp.status_code, f"http_{resp.status_code}", resp.reason_phrase or "error")

    async def model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        data = await self.request(method, path, **kwargs)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise TransportError(
                f"unexpected response from the relay for {method} {path}: {exc.errors()[0]['msg']}"
            ) from exc


def _describe(item: Any) -> str:
    if isinstance(item, dict):
        loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
        msg = item.get("msg", "")
        return f"{loc}: {msg}" if loc else str(msg)
    return str(item)


def poll_timeout(wait: float) -> float:
    """The read timeout for a long-poll held `wait` seconds: always longer than the hold."""
    return wait + POLL_MARGIN
