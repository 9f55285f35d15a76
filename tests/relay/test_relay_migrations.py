import sqlite3

import aiosqlite
import pytest

from relay.db.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, migrate, schema_version

pytestmark = pytest.mark.anyio

TABLES = {"webhooks", "deliveries", "readers", "setup_tokens", "owners", "devices", "challenges", "pairings", "agents", "sessions", "members",
          "wraps", "messages", "guests", "events"}


async def test_a_blank_database_migrates_to_the_current_schema(tmp_path):
    async with aiosqlite.connect(tmp_path / "blank.db", isolation_level=None) as conn:
        assert await schema_version(conn) == 0
        assert await migrate(conn) == SCHEMA_VERSION == len(MIGRATIONS)
        assert await schema_version(conn) == SCHEMA_VERSION
        names = {r[0] for r in await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert TABLES <= names


async def test_migrating_twice_changes_nothing(tmp_path):
    async with aiosqlite.connect(tmp_path / "twice.db", isolation_level=None) as conn:
        await migrate(conn)
        await conn.execute("INSERT INTO owners VALUES ('o_1', 'x', 'e', '2026-01-01T00:00:00.000000Z')")
        await migrate(conn)
        assert await conn.execute_fetchall("SELECT owner_id FROM owners") == [("o_1",)]


async def test_a_database_from_a_newer_relay_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(SchemaTooNew):
            await migrate(conn)


async def test_the_relay_opens_its_database_in_wal_mode(asgi_client, relay_state):
    conn = sqlite3.connect(relay_state.config.db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
