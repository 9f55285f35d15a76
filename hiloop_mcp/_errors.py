"""SDK errors as ToolErrors a model can act on.

Every expected failure of a tool becomes a `ToolError` whose message says what went wrong and which
call fixes it; anything else is a bug and surfaces as the SDK's generic "Error executing tool".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError

from hiloop.errors import (
    APIError,
    BadRequest,
    ConfigError,
    Conflict,
    CryptoError,
    Forbidden,
    HiloopError,
    InvalidComponent,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)

PAIRING_HELP = (
    "Hiloop has no agent identity for this MCP server, so it cannot reach a person yet. "
    "Pair one from a terminal: `hiloop agent add NAME --relay RELAY_URL` (RELAY_URL is the Hiloop relay, "
    "e.g. http://127.0.0.1:8787), then approve the pairing link it prints in the Hiloop app (or with "
    "`hiloop pair approve LINK`). The next tool call picks the new identity up; no restart is needed. "
    "To choose among several stored agents set HILOOP_AGENT=NAME; HILOOP_HOME selects the config folder."
)

_LIST_SESSIONS = "Call list_sessions to see the sessions this agent can use, or create_session to start one."

_CONFLICTS = {
    "session_closed": "Session {sid} is closed and takes no more messages. Call create_session to start a new one.",
    "session_not_public": (
        "Session {sid} is not public, so it cannot have guest links. Create a public session with "
        "create_session(is_public=true) and make the guest link for that one."
    ),
    "stale_epoch": "Session {sid} changed keys while sending. Call the tool again; it will use the new keys.",
    "mid_conflict": "A message with this id exists with different content. Call the tool again without reusing it.",
}


def explain(exc: HiloopError | CryptoError, *, session_id: str | None = None, message_id: str | None = None) -> str:
    """A message for a model: what failed and the call that fixes it."""
    sid = session_id or "(given)"
    if isinstance(exc, InvalidComponent):
        return (
            f"Invalid component: {exc}. Fix the named field and call again; every component is an object "
            "with a `type` (text, kv, alert, button_group, metric_grid, table, chart, qa, wizard, tabs, "
            "code, diff, output, image, file, link) and the fields its schema lists."
        )
    if isinstance(exc, ConfigError):
        return f"{PAIRING_HELP} (Detail: {exc})"
    if isinstance(exc, CryptoError):
        return (
            f"Verification failed for session {sid}: {exc}. The relay sent something that is not signed by "
            "the session's members; nothing from it was used. Do not act on it; tell the user."
        )
    if isinstance(exc, TransportError):
        return f"Cannot reach the Hiloop relay ({exc}). Check that it is running, then call the tool again."
    if isinstance(exc, NotFound):
        if message_id and exc.message.startswith("no message"):
            return (
                f"Session {sid} has no message {message_id}. Use the message_id that send_message returned, "
                "or call get_session_timeline to see the session's messages and their ids."
            )
        if session_id:
            return f"No session {session_id} is visible to this agent. {_LIST_SESSIONS}"
        return f"Not found: {exc.message}. {_LIST_SESSIONS}"
    if isinstance(exc, Conflict):
        hint = _CONFLICTS.get(exc.code)
        return hint.format(sid=sid) if hint else f"The relay refused the change: {exc.message} ({exc.code})."
    if isinstance(exc, Unauthorized):
        return (
            f"The relay does not accept this agent's key ({exc.code}): it was removed or belongs to another "
            f"relay. {PAIRING_HELP}"
        )
    if isinstance(exc, Forbidden):
        return f"This agent may not do that in session {sid}: {exc.message}. {_LIST_SESSIONS}"
    if isinstance(exc, PayloadTooLarge):
        return "The message is too large for the relay (1 MiB). Send less: shorter text, smaller attachments."
    if isinstance(exc, RateLimited):
        return "The relay is rate-limiting this agent. Wait a few seconds, then call the tool again."
    if isinstance(exc, BadRequest):
        return f"The relay rejected the request: {exc.message}. Detail: {exc.detail}"
    if isinstance(exc, ServerError):
        return f"The relay failed ({exc.code}, HTTP {exc.status}). Try again in a moment."
    if isinstance(exc, APIError):
        return f"The relay refused the request: {exc.message} ({exc.code}, HTTP {exc.status})."
    return f"Hiloop failed: {exc}"


@contextmanager
def tool_errors(*, session_id: str | None = None, message_id: str | None = None) -> Iterator[None]:
    """Turn SDK errors raised inside the block into ToolErrors."""
    try:
        yield
    except (HiloopError, CryptoError) as exc:
        raise ToolError(explain(exc, session_id=session_id, message_id=message_id)) from exc
