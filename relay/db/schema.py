"""The schema as ordered migrations. `PRAGMA user_version` is the number applied so far.

Append a migration to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

import aiosqlite

M001_INITIAL = """
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE owners (
    owner_id TEXT PRIMARY KEY,
    x25519 TEXT NOT NULL,
    ed25519 TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE devices (
    token_hash TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(owner_id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT
);
CREATE INDEX devices_owner ON devices(owner_id);

CREATE TABLE challenges (
    challenge TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(owner_id),
    expires_at TEXT NOT NULL
);

CREATE TABLE pairings (
    pairing_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    x25519 TEXT NOT NULL,
    ed25519 TEXT NOT NULL,
    claim_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    owner_id TEXT REFERENCES owners(owner_id),
    owner_x25519 TEXT,
    owner_ed25519 TEXT,
    mac TEXT,
    agent_cert TEXT,
    claimed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agents (
    agent_id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(owner_id),
    name TEXT NOT NULL,
    x25519 TEXT NOT NULL,
    ed25519 TEXT NOT NULL,
    agent_cert TEXT NOT NULL,
    api_key_hash TEXT UNIQUE,
    created_at TEXT NOT NULL,
    last_seen TEXT
);
CREATE INDEX agents_owner ON agents(owner_id);

CREATE TABLE sessions (
    sid TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(agent_id),
    owner_id TEXT NOT NULL REFERENCES owners(owner_id),
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    deadline TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    is_public INTEGER NOT NULL,
    public_mode TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    title TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_owner ON sessions(owner_id, created_at);
CREATE INDEX sessions_agent ON sessions(agent_id, created_at);

CREATE TABLE members (
    sid TEXT NOT NULL REFERENCES sessions(sid),
    member_id TEXT NOT NULL,
    role TEXT NOT NULL,
    cert TEXT NOT NULL,
    added_epoch INTEGER NOT NULL,
    removed_epoch INTEGER,
    PRIMARY KEY (sid, member_id)
) WITHOUT ROWID;

CREATE TABLE wraps (
    sid TEXT NOT NULL REFERENCES sessions(sid),
    epoch INTEGER NOT NULL,
    rid TEXT NOT NULL,
    wrap TEXT NOT NULL,
    PRIMARY KEY (sid, epoch, rid)
) WITHOUT ROWID;

CREATE TABLE messages (
    sid TEXT NOT NULL REFERENCES sessions(sid),
    seq INTEGER NOT NULL,
    mid TEXT NOT NULL,
    sender TEXT NOT NULL,
    type TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    requires_response INTEGER NOT NULL,
    deadline TEXT,
    reply_to TEXT,
    status TEXT NOT NULL CHECK (status IN ('none', 'open', 'answered', 'expired', 'closed')),
    created_at TEXT NOT NULL,
    answered_at TEXT,
    envelope TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    PRIMARY KEY (sid, seq),
    UNIQUE (sid, mid)
);
CREATE INDEX messages_open ON messages(sid) WHERE status = 'open';
CREATE INDEX messages_open_deadline ON messages(deadline) WHERE status = 'open' AND deadline IS NOT NULL;

CREATE TABLE guests (
    sid TEXT NOT NULL REFERENCES sessions(sid),
    guest_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sid, guest_id)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    sid TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX events_owner ON events(owner_id, id);
"""

M002_WEBHOOKS_READERS = """
CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(agent_id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhooks_agent ON webhooks(agent_id);

CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, status);

CREATE TABLE readers (
    agent_id TEXT NOT NULL REFERENCES agents(agent_id),
    reader_id TEXT NOT NULL REFERENCES agents(agent_id),
    owner_id TEXT NOT NULL REFERENCES owners(owner_id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (agent_id, reader_id)
) WITHOUT ROWID;
CREATE INDEX readers_reader ON readers(reader_id);
"""

M003_GUEST_JOINED = """
ALTER TABLE guests ADD COLUMN joined_at TEXT;
"""

MIGRATIONS: tuple[str, ...] = (M001_INITIAL, M002_WEBHOOKS_READERS, M003_GUEST_JOINED)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer relay."""


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration not yet applied, each in its own transaction; return the version.

    The connection must be in autocommit mode (`isolation_level=None`)."""
    version = await schema_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema {version} is newer than this relay's {SCHEMA_VERSION}")
    for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
    return SCHEMA_VERSION


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our SQL literals)."""
    return [part.strip() for part in sql.split(";") if part.strip()]
