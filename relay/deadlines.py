"""The deadline task: open requests whose deadline passed become `expired`.

It sleeps until the earliest deadline (or until a new request with a deadline pokes it), expires
what is due in one transaction, emits a `status` event per request and wakes the session's waiters.
"""

from __future__ import annotations

import asyncio
import math

import anyio

from relay.broker import owner_topic, session_topic
from relay.db.store import Store, Tx
from relay.render import message_event
from relay.times import iso_now, now, parse
from relay.webhooks import enqueue


class DeadlineTask:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._poke = asyncio.Event()

    def poke(self) -> None:
        """A request with a deadline was stored: re-plan the sleep."""
        self._poke.set()

    async def run(self) -> None:
        while True:
            self._poke.clear()
            next_deadline = await self.expire_due()
            delay = math.inf if next_deadline is None else (parse(next_deadline) - now()).total_seconds()
            if delay > 0:
                with anyio.move_on_after(delay):
                    await self._poke.wait()

    async def expire_due(self) -> str | None:
        """Expire every due request; return the next deadline still ahead, if any."""

        def expire(tx: Tx) -> str | None:
            for row in tx.expire_due(iso_now()):
                data = {**message_event(row), "status": "expired"}
                tx.insert_event(row["owner_id"], "status", row["sid"], data)
                tx.notify(session_topic(row["sid"]))
                tx.notify(owner_topic(row["owner_id"]))
                enqueue(tx, row["agent_id"], "expired", sid=row["sid"], message=tx.message(row["sid"], row["mid"]))
            return tx.next_deadline()

        return await self._store.write(expire)
