"""Webhooks: the delivery queue (in the database) and the worker that empties it.

`enqueue(tx, ...)` runs inside the transaction that made the event (a message stored, a request
expired…), so a delivery exists exactly when its event committed. The worker, started by the lifespan,
POSTs each due delivery to its URL, signed as `hiloop.webhooks` describes; a 2xx marks it delivered,
anything else (status, timeout, refused connection) schedules a retry after `webhook_backoff` seconds,
doubling per failure up to `webhook_backoff_cap`, until `webhook_max_attempts` (then `failed`). The queue
survives restarts: a delivery in flight when the relay stops is sent again on start (at-least-once;
receivers de-duplicate on the delivery id).

Bodies carry routing metadata and the end-to-end envelope only, never plaintext. Secrets are stored as
given (the relay must sign with them); they authenticate deliveries and open no content.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from typing import Any

import anyio
import httpx

from hiloop.crypto import new_id
from hiloop.webhooks import signature_headers
from relay.broker import Broker, Subscription
from relay.config import RelayConfig
from relay.db.store import Row, Store, Tx, dumps
from relay.render import message_out
from relay.times import iso_in, iso_now, now, parse

WEBHOOK_TOPIC = "webhooks"  # published after a commit that queued deliveries


def enqueue(tx: Tx, agent_id: str, event: str, *, sid: str | None = None, message: Row | None = None,
            data: dict[str, Any] | None = None) -> int:
    """Queue `event` for each of `agent_id`'s webhooks subscribed to it; return how many were queued."""
    hooks = [h["webhook_id"] for h in tx.subscribed_webhooks(agent_id) if event in json.loads(h["events"])]
    if not hooks:
        return 0
    at = iso_now()
    msg = None if message is None else message_out(message)
    for webhook_id in hooks:
        delivery_id = new_id("d_", 12)
        body = dumps({"id": delivery_id, "event": event, "created_at": at, "agent_id": agent_id, "sid": sid,
                      "message": msg, "data": data or {}})
        tx.insert_delivery(delivery_id=delivery_id, webhook_id=webhook_id, event=event, body=body, at=at)
    tx.notify(WEBHOOK_TOPIC)
    return len(hooks)


def backoff(config: RelayConfig, attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    return float(min(config.webhook_backoff_cap, config.webhook_backoff * 2 ** max(0, attempts - 1)))


class WebhookWorker:
    """Delivers due deliveries, at most `webhook_concurrency` at once, and sleeps until the next is due
    or a commit queues one. Outcomes are recorded in batches (one transaction for all the attempts that
    finished meanwhile)."""

    def __init__(self, store: Store, broker: Broker, config: RelayConfig,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._store = store
        self._broker = broker
        self._config = config
        self._transport = transport
        self._in_flight: set[str] = set()
        self._settled: set[str] = set()  # recorded since the planner's last read began (that read may be stale)
        self._outcomes: list[tuple[str, int, str | None, str | None]] = []  # id, attempts, error, retry_at
        self._outcome_ready = asyncio.Event()
        # Called after each attempt is recorded, with the delivery id and "delivered", "retry" or "failed"
        # (tests and benchmarks wait on it).
        self.on_settled: Callable[[str, str], None] | None = None

    async def run(self) -> None:
        limit = max(1, self._config.webhook_concurrency)
        timeout = httpx.Timeout(self._config.webhook_timeout)
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        async with (
            httpx.AsyncClient(timeout=timeout, limits=limits, transport=self._transport, follow_redirects=False,
                              trust_env=False) as http,
            self._broker.subscribe(WEBHOOK_TOPIC) as sub,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(self._record, sub)
            while True:
                sub.reset()
                self._settled.clear()
                at = iso_now()
                rows, next_at = await self._store.read(
                    lambda tx: (tx.due_deliveries(at, limit * 2), tx.next_delivery_after(at)))
                for row in rows:
                    if len(self._in_flight) >= limit:
                        break
                    delivery_id = row["delivery_id"]
                    if delivery_id in self._in_flight or delivery_id in self._settled:
                        continue
                    self._in_flight.add(delivery_id)
                    tg.start_soon(self._attempt, http, dict(row))
                delay = math.inf if next_at is None else (parse(next_at) - now()).total_seconds()
                await sub.wait(max(delay, 0.0))

    async def _attempt(self, http: httpx.AsyncClient, row: dict[str, Any]) -> None:
        attempts = int(row["attempts"]) + 1
        error = await self._post(http, row)
        retry_at = None
        if error is not None and attempts < self._config.webhook_max_attempts:
            retry_at = iso_in(backoff(self._config, attempts))
        self._outcomes.append((row["delivery_id"], attempts, error, retry_at))
        self._outcome_ready.set()

    async def _record(self, sub: Subscription) -> None:
        """Write finished attempts in batches; then free their slots and wake the planner."""
        while True:
            await self._outcome_ready.wait()
            self._outcome_ready.clear()
            batch, self._outcomes = self._outcomes, []
            done_at = iso_now()

            def write(tx: Tx) -> None:
                for delivery_id, attempts, error, retry_at in batch:
                    if error is None:
                        tx.delivery_done(delivery_id, attempts, done_at)
                    else:
                        tx.delivery_failed(delivery_id, attempts, error, retry_at)

            await self._store.write(write)
            for delivery_id, _, error, retry_at in batch:
                self._in_flight.discard(delivery_id)
                self._settled.add(delivery_id)
                if self.on_settled is not None:
                    self.on_settled(delivery_id, "delivered" if error is None else
                                    "failed" if retry_at is None else "retry")
            sub.notify(None)  # re-plan: slots are free, and the next due time may have moved

    async def _post(self, http: httpx.AsyncClient, row: dict[str, Any]) -> str | None:
        """One attempt; None when the receiver took it (2xx), else a short reason (never content)."""
        body = row["body"].encode("utf-8")
        headers = signature_headers(row["secret"], body, delivery_id=row["delivery_id"], event=row["event"])
        try:
            response = await http.post(row["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"http {response.status_code}"
