"""Per-agent figures from routing metadata only (never content): open sessions and requests, response
times (p50/p90), SLA kept or missed, messages per hour (the activity bars), last seen.

A request is a message the agent sent with `requires_response`. Its response time runs from
`created_at` to `answered_at` (set when the owner's or agent's response was stored). A request with a
deadline keeps its SLA when answered by then, and misses it when it expired (or was answered late).
Percentiles interpolate linearly between the closest ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from relay.db.store import Tx
from relay.times import iso, now, parse

DEFAULT_HOURS = 24
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Request:
    status: str
    created_at: str
    answered_at: str | None
    deadline: str | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def hour_start(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def figures(agent_id: str, *, requests: Sequence[Request], message_times: Sequence[str], open_sessions: int,
            open_requests: int, last_seen: str | None, at: datetime, since: datetime, hours: int) -> dict[str, Any]:
    """The `wire.Activity` body from already-fetched rows (pure: tests script a history into it)."""
    waits: list[float] = []
    kept = missed = answered = expired = 0
    for r in requests:
        if r.status == "answered" and r.answered_at is not None:
            answered += 1
            waits.append((parse(r.answered_at) - parse(r.created_at)).total_seconds())
            if r.deadline is not None:
                if r.answered_at <= r.deadline:
                    kept += 1
                else:
                    missed += 1
        elif r.status == "expired":
            expired += 1
            if r.deadline is not None:
                missed += 1
    first_hour = hour_start(at) - timedelta(hours=hours - 1)
    bars = [0] * hours
    for created in message_times:
        index = int((parse(created) - first_hour).total_seconds() // 3600)
        if 0 <= index < hours:
            bars[index] += 1
    p50, p90 = percentile(waits, 50), percentile(waits, 90)
    return {
        "agent_id": agent_id,
        "since": iso(since),
        "hours": hours,
        "last_seen": last_seen,
        "open_sessions": open_sessions,
        "open_requests": open_requests,
        "requests": len(requests),
        "answered": answered,
        "expired": expired,
        "response_p50": None if p50 is None else round(p50, 3),
        "response_p90": None if p90 is None else round(p90, 3),
        "sla_kept": kept,
        "sla_missed": missed,
        "messages_per_hour": bars,
    }


def agent_activity(tx: Tx, agent_id: str, *, hours: int = DEFAULT_HOURS, days: int = DEFAULT_DAYS,
                   at: datetime | None = None) -> dict[str, Any] | None:
    """The figures for `agent_id` (None when there is no such agent), read in one snapshot."""
    agent = tx.agent(agent_id)
    if agent is None:
        return None
    at = at or now()
    since = at - timedelta(days=days)
    first_hour = hour_start(at) - timedelta(hours=hours - 1)
    open_sessions = tx.one("SELECT COUNT(*) FROM sessions WHERE agent_id = ? AND status = 'open'", (agent_id,))
    open_requests = tx.one(
        """SELECT COUNT(*) FROM messages m JOIN sessions s ON s.sid = m.sid
           WHERE s.agent_id = ? AND m.status = 'open'""", (agent_id,))
    requests = [
        Request(r["status"], r["created_at"], r["answered_at"], r["deadline"])
        for r in tx.all(
            """SELECT m.status, m.created_at, m.answered_at, m.deadline FROM messages m JOIN sessions s ON s.sid = m.sid
               WHERE s.agent_id = ? AND m.sender = 'agent' AND m.requires_response = 1 AND m.created_at >= ?""",
            (agent_id, iso(since)),
        )
    ]
    times = [r[0] for r in tx.all(
        """SELECT m.created_at FROM messages m JOIN sessions s ON s.sid = m.sid
           WHERE s.agent_id = ? AND m.created_at >= ?""", (agent_id, iso(first_hour)))]
    return figures(agent_id, requests=requests, message_times=times,
                   open_sessions=int(open_sessions[0]) if open_sessions else 0,
                   open_requests=int(open_requests[0]) if open_requests else 0,
                   last_seen=agent["last_seen"], at=at, since=since, hours=hours)
