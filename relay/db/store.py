"""The store: two SQLite connections (one writer, one reader, WAL) and every query the relay runs.

`await store.write(fn)` runs `fn(tx)` as one `BEGIN IMMEDIATE` transaction: it commits when `fn`
returns and rolls back when it raises, so a request that fails writes nothing. Wake-ups queued with
`tx.notify(...)` are published only after the commit. `await store.read(fn)` runs `fn(tx)` in a read
transaction on the reader connection, which never sees uncommitted writes. `fn` is plain synchronous
code on the connection's thread: one thread hop per transaction, whatever it does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
import anyio

from relay.broker import Broker
from relay.db.schema import migrate
from relay.times import iso_now

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]
Notifications = list[tuple[str, dict[str, Any] | None]]
T = TypeVar("T")

SESSION_COLUMNS = """s.sid, s.agent_id, s.owner_id, s.kind, s.priority, s.deadline, s.status, s.is_public,
    s.public_mode, s.epoch, s.title, s.created_at, s.updated_at, s.last_seq,
    (SELECT COUNT(*) FROM messages m WHERE m.sid = s.sid AND m.status = 'open') AS open_requests"""

MESSAGE_COLUMNS = """m.sid, m.seq, m.mid, m.sender, m.type, m.priority, m.requires_response, m.deadline,
    m.reply_to, m.status, m.created_at, m.answered_at, m.envelope, m.body_hash"""


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Tx:
    """The queries, bound to one connection inside one transaction. Runs on the connection's thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.notifications: list[tuple[str, dict[str, Any] | None]] = []

    def notify(self, topic: str, payload: dict[str, Any] | None = None) -> None:
        if (topic, payload) not in self.notifications:
            self.notifications.append((topic, payload))

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; return the number of rows changed."""
        return self.conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: Params = ()) -> int:
        """Execute an INSERT; return the new rowid."""
        return int(self.conn.execute(sql, params).lastrowid or 0)

    # --- set-up tokens ------------------------------------------------------------------------

    def owner_count(self) -> int:
        row = self.one("SELECT COUNT(*) FROM owners")
        return int(row[0]) if row else 0

    def replace_setup_tokens(self, token_hash: str) -> None:
        self.run("DELETE FROM setup_tokens")
        self.add_setup_token(token_hash)

    def add_setup_token(self, token_hash: str) -> None:
        self.run("INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)", (token_hash, iso_now()))

    def setup_token_exists(self, token_hash: str) -> bool:
        return self.one("SELECT 1 FROM setup_tokens WHERE token_hash = ?", (token_hash,)) is not None

    def consume_setup_token(self, token_hash: str) -> bool:
        return self.run("DELETE FROM setup_tokens WHERE token_hash = ?", (token_hash,)) == 1

    # --- owners, devices, challenges ----------------------------------------------------------

    def owner(self, owner_id: str) -> Row | None:
        return self.one("SELECT * FROM owners WHERE owner_id = ?", (owner_id,))

    def owners(self) -> list[Row]:
        return self.all("SELECT * FROM owners ORDER BY created_at")

    def insert_owner(self, owner_id: str, x25519: str, ed25519: str) -> None:
        self.run(
            "INSERT INTO owners (owner_id, x25519, ed25519, created_at) VALUES (?, ?, ?, ?)",
            (owner_id, x25519, ed25519, iso_now()),
        )

    def insert_device(self, token_hash: str, owner_id: str, name: str) -> None:
        self.run(
            "INSERT INTO devices (token_hash, owner_id, name, created_at) VALUES (?, ?, ?, ?)",
            (token_hash, owner_id, name, iso_now()),
        )

    def device(self, token_hash: str) -> Row | None:
        return self.one("SELECT * FROM devices WHERE token_hash = ?", (token_hash,))

    def insert_challenge(self, challenge: str, owner_id: str, expires_at: str) -> None:
        self.run("DELETE FROM challenges WHERE expires_at < ?", (iso_now(),))
        self.run(
            "INSERT INTO challenges (challenge, owner_id, expires_at) VALUES (?, ?, ?)",
            (challenge, owner_id, expires_at),
        )

    def challenge(self, challenge: str, owner_id: str) -> Row | None:
        return self.one(
            "SELECT * FROM challenges WHERE challenge = ? AND owner_id = ? AND expires_at >= ?",
            (challenge, owner_id, iso_now()),
        )

    def delete_challenge(self, challenge: str) -> None:
        self.run("DELETE FROM challenges WHERE challenge = ?", (challenge,))

    # --- pairings and agents ------------------------------------------------------------------

    def insert_pairing(self, *, pairing_id: str, agent_id: str, name: str, x25519: str, ed25519: str,
                             claim_hash: str, expires_at: str) -> None:
        self.run(
            """INSERT INTO pairings (pairing_id, agent_id, name, x25519, ed25519, claim_hash, status,
                   created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)""",
            (pairing_id, agent_id, name, x25519, ed25519, claim_hash, iso_now(), expires_at),
        )

    def pairing(self, pairing_id: str) -> Row | None:
        return self.one("SELECT * FROM pairings WHERE pairing_id = ?", (pairing_id,))

    def approve_pairing(self, pairing_id: str, *, owner_id: str, owner_x25519: str, owner_ed25519: str,
                              mac: str, agent_cert: dict[str, Any]) -> None:
        self.run(
            """UPDATE pairings SET status = 'approved', owner_id = ?, owner_x25519 = ?, owner_ed25519 = ?,
                   mac = ?, agent_cert = ? WHERE pairing_id = ? AND status = 'pending'""",
            (owner_id, owner_x25519, owner_ed25519, mac, dumps(agent_cert), pairing_id),
        )

    def refuse_pairing(self, pairing_id: str, owner_id: str) -> None:
        self.run(
            "UPDATE pairings SET status = 'refused', owner_id = ? WHERE pairing_id = ? AND status = 'pending'",
            (owner_id, pairing_id),
        )

    def claim_pairing(self, pairing_id: str) -> bool:
        """Mark an approved pairing claimed; False when it was claimed before."""
        changed = self.run(
            "UPDATE pairings SET claimed = 1 WHERE pairing_id = ? AND status = 'approved' AND claimed = 0",
            (pairing_id,),
        )
        return changed == 1

    def insert_agent(self, *, agent_id: str, owner_id: str, name: str, x25519: str, ed25519: str,
                           agent_cert: dict[str, Any]) -> None:
        self.run(
            """INSERT INTO agents (agent_id, owner_id, name, x25519, ed25519, agent_cert, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (agent_id, owner_id, name, x25519, ed25519, dumps(agent_cert), iso_now()),
        )

    def set_agent_key(self, agent_id: str, api_key_hash: str) -> None:
        self.run("UPDATE agents SET api_key_hash = ? WHERE agent_id = ?", (api_key_hash, agent_id))

    def agent(self, agent_id: str) -> Row | None:
        return self.one(AGENT_SELECT + " WHERE a.agent_id = ?", (agent_id,))

    def agent_by_key(self, api_key_hash: str) -> Row | None:
        return self.one(AGENT_SELECT + " WHERE a.api_key_hash = ?", (api_key_hash,))

    def agents_of(self, owner_id: str) -> list[Row]:
        return self.all(AGENT_SELECT + " WHERE a.owner_id = ? ORDER BY a.created_at, a.agent_id", (owner_id,))

    def touch_agent(self, agent_id: str) -> None:
        self.run("UPDATE agents SET last_seen = ? WHERE agent_id = ?", (iso_now(), agent_id))

    def touch_device(self, token_hash: str) -> None:
        self.run("UPDATE devices SET last_seen = ? WHERE token_hash = ?", (iso_now(), token_hash))

    # --- sessions, members, wraps -------------------------------------------------------------

    def insert_session(self, *, sid: str, agent_id: str, owner_id: str, kind: str, priority: str,
                             deadline: str | None, is_public: bool, public_mode: str,
                             title: dict[str, Any] | None) -> None:
        at = iso_now()
        self.run(
            """INSERT INTO sessions (sid, agent_id, owner_id, kind, priority, deadline, status, is_public,
                   public_mode, epoch, title, created_at, updated_at, last_seq)
                   VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?, ?, 0)""",
            (sid, agent_id, owner_id, kind, priority, deadline, int(is_public), public_mode,
             None if title is None else dumps(title), at, at),
        )

    def session(self, sid: str) -> Row | None:
        return self.one(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.sid = ?", (sid,))

    def list_sessions(self, *, owner_id: str | None = None, agent_id: str | None = None,
                            status: str | None = None, kind: str | None = None, before: str | None = None,
                            limit: int = 50, reader_id: str | None = None) -> list[Row]:
        """Sessions matching the filters; with `reader_id`, only those where that member id is a current
        reader."""
        where: list[str] = []
        params: list[Any] = []
        if reader_id is not None:
            where.append("""EXISTS (SELECT 1 FROM members r WHERE r.sid = s.sid AND r.member_id = ?
                             AND r.role = 'reader' AND r.removed_epoch IS NULL)""")
            params.append(reader_id)
        for column, value in (("s.owner_id", owner_id), ("s.agent_id", agent_id), ("s.status", status),
                              ("s.kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if before is not None:
            where.append("s.created_at < ?")
            params.append(before)
        clause = " AND ".join(where) or "1"
        return self.all(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE {clause} ORDER BY s.created_at DESC, s.sid DESC LIMIT ?",
            (*params, limit),
        )

    def set_session_status(self, sid: str, status: str) -> None:
        self.run("UPDATE sessions SET status = ?, updated_at = ? WHERE sid = ?", (status, iso_now(), sid))

    def advance_epoch(self, sid: str, expected: int, title: dict[str, Any] | None) -> bool:
        """Compare-and-set: move the session from `expected` to `expected + 1`."""
        changed = self.run(
            """UPDATE sessions SET epoch = epoch + 1, title = COALESCE(?, title), updated_at = ?
                   WHERE sid = ? AND epoch = ?""",
            (None if title is None else dumps(title), iso_now(), sid, expected),
        )
        return changed == 1

    def insert_member(self, sid: str, cert: dict[str, Any], epoch: int) -> None:
        self.run(
            "INSERT INTO members (sid, member_id, role, cert, added_epoch) VALUES (?, ?, ?, ?, ?)",
            (sid, cert["id"], cert["role"], dumps(cert), epoch),
        )

    def members(self, sid: str) -> list[Row]:
        return self.all("SELECT * FROM members WHERE sid = ? ORDER BY added_epoch, member_id", (sid,))

    def member(self, sid: str, member_id: str) -> Row | None:
        return self.one("SELECT * FROM members WHERE sid = ? AND member_id = ?", (sid, member_id))

    def remove_members(self, sid: str, member_ids: Iterable[str], epoch: int) -> None:
        for member_id in member_ids:
            self.run(
                "UPDATE members SET removed_epoch = ? WHERE sid = ? AND member_id = ? AND removed_epoch IS NULL",
                (epoch, sid, member_id),
            )

    def insert_wrap(self, sid: str, wrap: dict[str, Any]) -> None:
        self.run(
            "INSERT INTO wraps (sid, epoch, rid, wrap) VALUES (?, ?, ?, ?)",
            (sid, wrap["epoch"], wrap["rid"], dumps(wrap)),
        )

    def wraps(self, sid: str) -> list[Row]:
        return self.all("SELECT * FROM wraps WHERE sid = ? ORDER BY epoch, rid", (sid,))

    # --- messages -----------------------------------------------------------------------------

    def message(self, sid: str, mid: str) -> Row | None:
        return self.one(f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.sid = ? AND m.mid = ?", (sid, mid))

    def insert_message(self, *, sid: str, seq: int, mid: str, sender: str, meta: dict[str, Any],
                             rank: int, status: str, envelope: dict[str, Any], body_hash: str,
                             created_at: str) -> None:
        self.run(
            """INSERT INTO messages (sid, seq, mid, sender, type, priority, priority_rank, requires_response,
                   deadline, reply_to, status, created_at, envelope, body_hash)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (sid, seq, mid, sender, meta["type"], meta["priority"], rank, int(meta["requires_response"]),
             meta["deadline"], meta["reply_to"], status, created_at, dumps(envelope), body_hash),
        )
        self.run("UPDATE sessions SET last_seq = ?, updated_at = ? WHERE sid = ?", (seq, created_at, sid))

    def messages_after(self, sid: str, after: int, limit: int) -> list[Row]:
        return self.all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.sid = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
            (sid, after, limit),
        )

    def answer(self, sid: str, mid: str, at: str) -> bool:
        changed = self.run(
            "UPDATE messages SET status = 'answered', answered_at = ? WHERE sid = ? AND mid = ? AND status = 'open'",
            (at, sid, mid),
        )
        return changed == 1

    def close_requests(self, sid: str) -> list[Row]:
        rows = self.all(f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.sid = ? AND m.status = 'open'", (sid,))
        self.run("UPDATE messages SET status = 'closed' WHERE sid = ? AND status = 'open'", (sid,))
        return rows

    def next_deadline(self) -> str | None:
        row = self.one("SELECT MIN(deadline) FROM messages WHERE status = 'open' AND deadline IS NOT NULL")
        return None if row is None else row[0]

    def expire_due(self, at: str) -> list[Row]:
        rows = self.all(
            f"""SELECT {MESSAGE_COLUMNS}, s.owner_id, s.agent_id FROM messages m JOIN sessions s ON s.sid = m.sid
                WHERE m.status = 'open' AND m.deadline IS NOT NULL AND m.deadline <= ?""",
            (at,),
        )
        for row in rows:
            self.run("UPDATE messages SET status = 'expired' WHERE sid = ? AND seq = ?", (row["sid"], row["seq"]))
        return rows

    def feed(self, owner_id: str, limit: int) -> list[tuple[Row, Row]]:
        rows = self.all(
            f"""SELECT {MESSAGE_COLUMNS} FROM messages m JOIN sessions s ON s.sid = m.sid
                WHERE s.owner_id = ? AND m.status = 'open'
                ORDER BY m.priority_rank DESC, m.deadline IS NULL, m.deadline, m.created_at, m.sid, m.seq
                LIMIT ?""",
            (owner_id, limit),
        )
        sessions = {s["sid"]: s for s in self.sessions_in([row["sid"] for row in rows])}
        return [(sessions[row["sid"]], row) for row in rows]

    def sessions_in(self, sids: Sequence[str]) -> list[Row]:
        """The sessions with these ids, in one query."""
        return self.all(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.sid IN (SELECT value FROM json_each(?))",
                        (dumps(list(dict.fromkeys(sids))),))

    def keys_of(self, sids: Sequence[str]) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
        """The members and the wraps of many sessions, in two queries: ({sid: members}, {sid: wraps}),
        each list ordered as `members(sid)` and `wraps(sid)` order it."""
        ids = dumps(list(dict.fromkeys(sids)))
        members: dict[str, list[Row]] = {sid: [] for sid in sids}
        wraps: dict[str, list[Row]] = {sid: [] for sid in sids}
        for row in self.all("""SELECT * FROM members WHERE sid IN (SELECT value FROM json_each(?))
                                   ORDER BY sid, added_epoch, member_id""", (ids,)):
            members[row["sid"]].append(row)
        for row in self.all("""SELECT * FROM wraps WHERE sid IN (SELECT value FROM json_each(?))
                                   ORDER BY sid, epoch, rid""", (ids,)):
            wraps[row["sid"]].append(row)
        return members, wraps

    # --- guests -------------------------------------------------------------------------------

    def insert_guest(self, *, sid: str, guest_id: str, token_hash: str, label: str, expires_at: str) -> None:
        self.run(
            """INSERT INTO guests (sid, guest_id, token_hash, label, created_at, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
            (sid, guest_id, token_hash, label, iso_now(), expires_at),
        )

    def guest_by_token(self, token_hash: str) -> Row | None:
        return self.one("SELECT * FROM guests WHERE token_hash = ?", (token_hash,))

    def guest(self, sid: str, guest_id: str) -> Row | None:
        return self.one("SELECT * FROM guests WHERE sid = ? AND guest_id = ?", (sid, guest_id))

    def guests(self, sid: str) -> list[Row]:
        return self.all("SELECT * FROM guests WHERE sid = ? ORDER BY created_at, guest_id", (sid,))

    def mark_guest_joined(self, sid: str, guest_id: str) -> bool:
        """Record a guest's first use of its link; False when it was recorded before."""
        return self.run("UPDATE guests SET joined_at = ? WHERE sid = ? AND guest_id = ? AND joined_at IS NULL",
                        (iso_now(), sid, guest_id)) == 1

    def revoke_guests(self, sid: str, guest_ids: Iterable[str]) -> None:
        for guest_id in guest_ids:
            self.run("UPDATE guests SET revoked = 1 WHERE sid = ? AND guest_id = ?", (sid, guest_id))

    # --- readers (agent B's sessions readable by agent A) -------------------------------------

    def grant_reader(self, agent_id: str, reader_id: str, owner_id: str) -> bool:
        """Let `reader_id` read `agent_id`'s sessions; False when it could already."""
        return self.run(
            """INSERT INTO readers (agent_id, reader_id, owner_id, created_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (agent_id, reader_id) DO NOTHING""",
            (agent_id, reader_id, owner_id, iso_now()),
        ) == 1

    def withdraw_reader(self, agent_id: str, reader_id: str) -> bool:
        return self.run("DELETE FROM readers WHERE agent_id = ? AND reader_id = ?", (agent_id, reader_id)) == 1

    def is_reader(self, agent_id: str, reader_id: str) -> bool:
        return self.one("SELECT 1 FROM readers WHERE agent_id = ? AND reader_id = ?",
                        (agent_id, reader_id)) is not None

    def readers_of(self, agent_id: str) -> list[Row]:
        """The agents that may read `agent_id`'s sessions."""
        return self.all(AGENT_SELECT + """ JOIN readers g ON g.reader_id = a.agent_id WHERE g.agent_id = ?
                            ORDER BY g.created_at, a.agent_id""", (agent_id,))

    def readable_by(self, reader_id: str) -> list[Row]:
        """The agents whose sessions `reader_id` may read."""
        return self.all(AGENT_SELECT + """ JOIN readers g ON g.agent_id = a.agent_id WHERE g.reader_id = ?
                            ORDER BY g.created_at, a.agent_id""", (reader_id,))

    def sessions_with_member(self, agent_id: str, member_id: str) -> list[Row]:
        """`agent_id`'s sessions where `member_id` is a current member."""
        return self.all(
            f"""SELECT {SESSION_COLUMNS} FROM sessions s JOIN members mm ON mm.sid = s.sid
                WHERE s.agent_id = ? AND mm.member_id = ? AND mm.removed_epoch IS NULL""",
            (agent_id, member_id),
        )

    # --- webhooks and their delivery queue -----------------------------------------------------

    def insert_webhook(self, *, webhook_id: str, agent_id: str, url: str, secret: str, events: Sequence[str]) -> None:
        self.run(
            "INSERT INTO webhooks (webhook_id, agent_id, url, secret, events, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (webhook_id, agent_id, url, secret, dumps(list(events)), iso_now()),
        )

    def webhooks_of(self, agent_id: str) -> list[Row]:
        return self.all(WEBHOOK_SELECT + " WHERE w.agent_id = ? ORDER BY w.created_at, w.webhook_id", (agent_id,))

    def webhook(self, webhook_id: str) -> Row | None:
        return self.one(WEBHOOK_SELECT + " WHERE w.webhook_id = ?", (webhook_id,))

    def delete_webhook(self, webhook_id: str) -> None:
        self.run("DELETE FROM deliveries WHERE webhook_id = ?", (webhook_id,))
        self.run("DELETE FROM webhooks WHERE webhook_id = ?", (webhook_id,))

    def subscribed_webhooks(self, agent_id: str) -> list[Row]:
        return self.all("SELECT webhook_id, events FROM webhooks WHERE agent_id = ?", (agent_id,))

    def insert_delivery(self, *, delivery_id: str, webhook_id: str, event: str, body: str, at: str) -> None:
        self.run(
            """INSERT INTO deliveries (delivery_id, webhook_id, event, body, status, attempts, next_attempt_at,
                   created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)""",
            (delivery_id, webhook_id, event, body, at, at),
        )

    def due_deliveries(self, at: str, limit: int) -> list[Row]:
        return self.all(
            """SELECT d.delivery_id, d.webhook_id, d.event, d.body, d.attempts, w.url, w.secret
                FROM deliveries d JOIN webhooks w ON w.webhook_id = d.webhook_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?""",
            (at, limit),
        )

    def next_delivery_after(self, at: str) -> str | None:
        row = self.one("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at > ?",
                       (at,))
        return None if row is None else row[0]

    def delivery(self, delivery_id: str) -> Row | None:
        return self.one("SELECT * FROM deliveries WHERE delivery_id = ?", (delivery_id,))

    def delivery_done(self, delivery_id: str, attempts: int, at: str) -> None:
        self.run(
            """UPDATE deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, last_error = NULL
                   WHERE delivery_id = ? AND status = 'pending'""",
            (attempts, at, delivery_id),
        )

    def delivery_failed(self, delivery_id: str, attempts: int, error: str, retry_at: str | None) -> None:
        """Record a failed attempt: retry at `retry_at`, or give up (status failed) when it is None."""
        if retry_at is None:
            self.run("""UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ?
                            WHERE delivery_id = ? AND status = 'pending'""", (attempts, error, delivery_id))
        else:
            self.run("""UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?
                            WHERE delivery_id = ? AND status = 'pending'""", (attempts, error, retry_at, delivery_id))

    def prune_deliveries(self, before: str) -> int:
        """Forget finished deliveries older than `before`."""
        return self.run("DELETE FROM deliveries WHERE status != 'pending' AND created_at < ?", (before,))

    # --- events -------------------------------------------------------------------------------

    def insert_event(self, owner_id: str, kind: str, sid: str | None, data: dict[str, Any]) -> int:
        return self.insert(
            "INSERT INTO events (owner_id, kind, sid, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (owner_id, kind, sid, dumps(data), iso_now()),
        )

    def events_after(self, owner_id: str, after: int, limit: int) -> list[Row]:
        return self.all(
            "SELECT * FROM events WHERE owner_id = ? AND id > ? ORDER BY id LIMIT ?", (owner_id, after, limit)
        )

    def prune_events(self, before: str) -> int:
        """Forget stored events older than `before` (a client resuming from earlier re-reads state)."""
        return self.run("DELETE FROM events WHERE created_at < ?", (before,))

    def last_event_id(self, owner_id: str) -> int:
        row = self.one("SELECT MAX(id) FROM events WHERE owner_id = ?", (owner_id,))
        return int(row[0]) if row and row[0] is not None else 0


AGENT_SELECT = """SELECT a.agent_id, a.owner_id, a.name, a.x25519, a.ed25519, a.agent_cert, a.api_key_hash,
    a.created_at, a.last_seen, o.x25519 AS owner_x25519, o.ed25519 AS owner_ed25519
    FROM agents a JOIN owners o ON o.owner_id = a.owner_id"""


WEBHOOK_SELECT = """SELECT w.webhook_id, w.agent_id, w.url, w.events, w.created_at,
    (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.webhook_id AND d.status = 'pending') AS pending,
    (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.webhook_id AND d.status = 'delivered') AS delivered,
    (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.webhook_id AND d.status = 'failed') AS failed,
    (SELECT d.last_error FROM deliveries d WHERE d.webhook_id = w.webhook_id AND d.last_error IS NOT NULL
        ORDER BY d.next_attempt_at DESC LIMIT 1) AS last_error
    FROM webhooks w"""


class Store:
    def __init__(self, path: Path, broker: Broker) -> None:
        self.path = path
        self.broker = broker
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await migrate(self._writer)
        self._reader = await self._connect()
        await self._reader.execute("PRAGMA query_only = ON")

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` as one `BEGIN IMMEDIATE` transaction on the writer's thread: committed when it
        returns, rolled back when it raises (the exception then propagates here). Then publish the
        wake-ups it queued. Shielded: once started, a transaction completes and its wake-ups go out
        even if the request that asked for it is cancelled."""
        assert self._writer is not None, "store is not open"
        with anyio.CancelScope(shield=True):
            result, notifications = await _on_thread(self._writer, fn, "BEGIN IMMEDIATE")
            for topic, payload in notifications:
                await self.broker.publish(topic, payload)
        return result

    async def read(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` in one read transaction (one snapshot) on the reader's thread, which never sees
        uncommitted writes."""
        assert self._reader is not None, "store is not open"
        result, _ = await _on_thread(self._reader, fn, "BEGIN")
        return result


def _transaction(conn: sqlite3.Connection, fn: Callable[[Tx], T], begin: str) -> tuple[T, Notifications]:
    conn.execute(begin)
    tx = Tx(conn)
    try:
        result = fn(tx)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result, tx.notifications


async def _on_thread(conn: aiosqlite.Connection, fn: Callable[[Tx], T], begin: str) -> tuple[T, Notifications]:
    """Run the transaction `fn` on the aiosqlite connection's own thread, as one queued job.

    aiosqlite runs one statement per job, and each job is a round trip to its thread; a transaction
    of a dozen statements would make a dozen. This queues the whole transaction as one job instead,
    through aiosqlite's `_execute` (the same queue its public methods use), so jobs never interleave."""
    execute: Callable[..., Awaitable[Any]] = conn._execute  # noqa: SLF001
    result = await execute(_transaction, conn._conn, fn, begin)  # noqa: SLF001
    return cast(tuple[T, Notifications], result)
