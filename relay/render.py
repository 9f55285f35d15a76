"""Stored rows → the wire shapes of hiloop/wire.py (as JSON-ready dicts)."""

from __future__ import annotations

import json
from typing import Any

from relay.db.store import Row


def session_info(row: Row, members: list[Row] | None = None, wraps: list[Row] | None = None) -> dict[str, Any]:
    """`SessionInfo`; without members and wraps (lists, feed) when they are not given."""
    return {
        "sid": row["sid"],
        "agent_id": row["agent_id"],
        "owner_id": row["owner_id"],
        "kind": row["kind"],
        "priority": row["priority"],
        "deadline": row["deadline"],
        "status": row["status"],
        "is_public": bool(row["is_public"]),
        "public_mode": row["public_mode"],
        "epoch": row["epoch"],
        "title": None if row["title"] is None else json.loads(row["title"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "open_requests": row["open_requests"],
        "last_seq": row["last_seq"],
        "members": [json.loads(m["cert"]) for m in members or ()],
        "wraps": [json.loads(w["wrap"]) for w in wraps or ()],
        "removed": [m["member_id"] for m in members or () if m["removed_epoch"] is not None],
    }


def message_meta(row: Row) -> dict[str, Any]:
    return {
        "type": row["type"],
        "priority": row["priority"],
        "requires_response": bool(row["requires_response"]),
        "deadline": row["deadline"],
        "reply_to": row["reply_to"],
    }


def message_stored(row: Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "seq": row["seq"],
        "mid": row["mid"],
        "from": row["sender"],
        "status": row["status"],
        "created_at": row["created_at"],
    }


def message_event(row: Row) -> dict[str, Any]:
    """A message's routing metadata, as the `message` and `status` events carry it."""
    return {**message_stored(row), "meta": message_meta(row), "answered_at": row["answered_at"]}


def message_out(row: Row) -> dict[str, Any]:
    """A timeline entry: the routing metadata and the stored envelope."""
    return {**message_event(row), "envelope": json.loads(row["envelope"])}


def agent_peer(row: Row) -> dict[str, Any]:
    """What one agent may know of another: its keys and the owner's certificate over them."""
    return {
        "agent_id": row["agent_id"],
        "name": row["name"],
        "x25519": row["x25519"],
        "ed25519": row["ed25519"],
        "agent_cert": json.loads(row["agent_cert"]),
    }


def agent_info(row: Row) -> dict[str, Any]:
    return {
        **agent_peer(row),
        "owner_id": row["owner_id"],
        "owner_x25519": row["owner_x25519"],
        "owner_ed25519": row["owner_ed25519"],
        "created_at": row["created_at"],
        "last_seen": row["last_seen"],
    }


def pairing_info(row: Row, status: str, api_key: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pairing_id": row["pairing_id"],
        "agent_id": row["agent_id"],
        "name": row["name"],
        "x25519": row["x25519"],
        "ed25519": row["ed25519"],
        "status": status,
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "owner_id": row["owner_id"],
        "owner_x25519": row["owner_x25519"],
        "owner_ed25519": row["owner_ed25519"],
        "mac": row["mac"],
        "agent_cert": None if row["agent_cert"] is None else json.loads(row["agent_cert"]),
    }
    if api_key is not None:
        out["api_key"] = api_key
    return out


def guest_out(row: Row) -> dict[str, Any]:
    return {
        "sid": row["sid"],
        "guest_id": row["guest_id"],
        "label": row["label"],
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "revoked": bool(row["revoked"]),
    }


def event_out(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "sid": row["sid"],
        "data": json.loads(row["data"]),
        "created_at": row["created_at"],
    }
