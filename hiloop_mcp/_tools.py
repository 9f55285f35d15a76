"""The tools. Each is thin: check what the SDK cannot explain well, call the SDK, shape the result.

Descriptions are written for the model that calls them: when to use the tool, and what comes back.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from hiloop.components import is_interactive
from hiloop.errors import CryptoError, HiloopError, ResponseTimeout

from . import _convert
from ._args import (
    Components,
    Deadline,
    Priority,
    SessionId,
    check_default_action,
    check_message_id,
    check_session_id,
    components_of,
    deadline_of,
)
from ._errors import tool_errors
from ._models import Answer, GuestLinkOut, SentOut, SessionListOut, SessionOut, TimelineOut
from ._state import HiloopState

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

Ctx = Context[HiloopState, Any]
FromGuests = Annotated[
    bool,
    Field(description="Also accept an answer from a guest (public sessions); by default only the owner's counts."),
]
Timeout = Annotated[
    float,
    Field(ge=1, le=3600, description="Seconds to wait for the answer (1–3600). Progress is reported while waiting."),
]


def _state(ctx: Ctx) -> HiloopState:
    return ctx.request_context.lifespan_context


async def create_session(
    ctx: Ctx,
    title: Annotated[str, Field(min_length=1, max_length=200, description="What the session is about, shown in the person's feed.")],
    priority: Annotated[Priority, Field(description="How prominently the feed shows it.")] = "normal",
    deadline: Deadline = None,
    is_public: Annotated[bool, Field(description="Allow guest links (create_guest_token) for people without an account.")] = False,
    public_mode: Annotated[
        Literal["respond", "read"], Field(description="What guests may do in a public session: respond, or only read.")
    ] = "respond",
) -> SessionOut:
    """Start a new Hiloop session: an end-to-end encrypted conversation with the person you work for,
    shown in their Hiloop app. Use it once per task or topic, then send_message / ask into it; reuse an
    open session (list_sessions) rather than creating one per message. Returns the session, with the
    session_id the other tools take."""
    when = deadline_of(deadline)
    client = await _state(ctx).client()
    with tool_errors():
        session = await client.create_session(
            title=title, priority=priority, deadline=when, is_public=is_public, public_mode=public_mode
        )
    return _convert.session(session, title=title)


async def send_message(
    ctx: Ctx,
    session_id: SessionId,
    components: Components,
    priority: Annotated[Priority, Field(description="How urgent this message is for the person.")] = "normal",
    requires_response: Annotated[
        bool | None,
        Field(description="Whether the person must answer. Default: true when it has buttons, a qa form or a wizard."),
    ] = None,
    deadline: Deadline = None,
    default_action: Annotated[
        str | None,
        Field(description="A button action applied when the deadline passes unanswered (needs a deadline)."),
    ] = None,
) -> SentOut:
    """Send a message to the person in a session: a report (text, kv, table, chart, metric_grid, code, diff…)
    or a request (add a button_group, a qa form or a wizard). It returns at once with the message_id; to get
    the answer to a request call await_response, or use ask instead to send and wait in one call."""
    check_session_id(session_id)
    parsed = components_of(components)
    when = deadline_of(deadline)
    check_default_action(default_action, when, parsed)
    interactive = is_interactive(parsed)
    needs_answer = interactive if requires_response is None else requires_response
    client = await _state(ctx).client()
    with tool_errors(session_id=session_id):
        sent = await client.send_message(
            session_id,
            components=parsed,
            priority=priority,
            requires_response=needs_answer,
            deadline=when,
            default_action=default_action,
        )
    next_step = (
        f"Call await_response(session_id={session_id!r}, message_id={sent.id!r}) to wait for the answer."
        if needs_answer
        else "Nothing to wait for: the message is informational."
    )
    return SentOut(
        session_id=session_id, message_id=sent.id, seq=sent.seq, requires_response=needs_answer, next_step=next_step
    )


async def create_guest_token(
    ctx: Ctx,
    session_id: SessionId,
    label: Annotated[str, Field(min_length=1, max_length=100, description="Who the link is for, shown beside their answers.")] = "guest",
    expiry: Annotated[int, Field(ge=60, le=86400, description="Seconds until the link stops working (60–86400).")] = 3600,
) -> GuestLinkOut:
    """Make a guest link for a public session (created with is_public=true), so people without a Hiloop
    account can read it and, if public_mode is respond, answer its requests. Returns join_url: share it
    whole; the part after # carries the key and never reaches the relay."""
    check_session_id(session_id)
    client = await _state(ctx).client()
    with tool_errors(session_id=session_id):
        link = await client.create_guest_token(session_id, label=label, expires_in=expiry)
    return _convert.guest_link(link, session_id=session_id, label=label)


async def get_session_timeline(
    ctx: Ctx,
    session_id: SessionId,
    after: Annotated[int, Field(ge=0, description="Only messages after this cursor (0: from the start).")] = 0,
    wait: Annotated[
        float, Field(ge=0, le=60, description="Seconds to wait for a new message if there is none yet (0–60).")
    ] = 0,
) -> TimelineOut:
    """Read a session's messages, decrypted and in order: what you sent, the person's answers and
    instructions, guests' messages. Pass the returned cursor as `after` next time to get only newer
    messages. Use it to catch up on a session, or to look for instructions the person sent you."""
    check_session_id(session_id)
    client = await _state(ctx).client()
    with tool_errors(session_id=session_id):
        timeline = await client.get_session_timeline(session_id, after=after, wait=wait)
    return _convert.timeline(timeline, session_id=session_id)


async def await_response(
    ctx: Ctx,
    session_id: SessionId,
    message_id: Annotated[str, Field(max_length=128, description="The message_id send_message returned.")],
    timeout: Timeout = 120,
    from_guests: FromGuests = False,
) -> Answer:
    """Wait for the person's answer to a request sent with send_message. Returns status answered (with
    action, answers or text), expired (the deadline passed; action is the default_action), or waiting:
    no answer within the timeout, which is not an error; call again with the same ids to keep waiting."""
    check_session_id(session_id)
    check_message_id(message_id)
    state = _state(ctx)
    client = await state.client()
    roles = _roles(from_guests)
    with tool_errors(session_id=session_id, message_id=message_id):
        return await _waiting(
            ctx,
            timeout,
            session_id,
            message_id,
            lambda: client.await_response(session_id, message_id, timeout=timeout, accept_roles=roles),
        )


async def list_sessions(
    ctx: Ctx,
    status: Annotated[
        Literal["open", "closed", "all"], Field(description="Which sessions: open (default), closed, or all.")
    ] = "open",
) -> SessionListOut:
    """List this agent's sessions, newest first, with their titles and how many requests wait for an
    answer. Use it to find a session_id to continue in, instead of creating a new session."""
    client = await _state(ctx).client()
    with tool_errors():
        sessions = await client.list_sessions(status=None if status == "all" else status)
    return SessionListOut(sessions=[_convert.session(s) for s in sessions])


async def close_session(ctx: Ctx, session_id: SessionId) -> SessionOut:
    """Close a session when its task is done. Open requests in it are closed and it takes no more
    messages; it stays readable. Returns the closed session."""
    check_session_id(session_id)
    client = await _state(ctx).client()
    with tool_errors(session_id=session_id):
        session = await client.close_session(session_id)
    return _convert.session(session)


async def ask(
    ctx: Ctx,
    components: Components,
    session_id: Annotated[
        str | None, Field(max_length=128, description="The session to ask in; omit to start a new one titled `title`.")
    ] = None,
    title: Annotated[
        str | None, Field(min_length=1, max_length=200, description="Title of the new session when session_id is omitted.")
    ] = None,
    priority: Annotated[Priority, Field(description="How urgent the question is.")] = "normal",
    deadline: Deadline = None,
    default_action: Annotated[
        str | None, Field(description="A button action applied if the deadline passes unanswered (needs a deadline).")
    ] = None,
    timeout: Timeout = 120,
    from_guests: FromGuests = False,
) -> Answer:
    """Ask the person something and wait for the answer, in one call: give a button_group (answer = the
    chosen action) or a qa form / wizard (answer = {question id: value}), plus any context components.
    Returns status answered, expired (deadline passed; action is the default_action) or waiting (no answer
    within the timeout; call await_response with the returned session_id and message_id to keep waiting)."""
    if session_id is not None:
        check_session_id(session_id)
    elif title is None:
        raise ToolError("Give session_id (from list_sessions or create_session), or a title to start a new session.")
    parsed = components_of(components)
    if not is_interactive(parsed):
        raise ToolError(
            "ask waits for an answer, so it needs something to answer: add a button_group "
            "(e.g. {\"type\": \"button_group\", \"buttons\": [{\"label\": \"Yes\", \"action\": \"yes\"}, "
            "{\"label\": \"No\", \"action\": \"no\"}]}) or a qa form. To only inform, use send_message."
        )
    when = deadline_of(deadline)
    check_default_action(default_action, when, parsed)
    client = await _state(ctx).client()
    with tool_errors(session_id=session_id):
        if session_id is None:
            session = await client.create_session(title=title or "", priority=priority)
            session_id = session.id
        sid = session_id
        sent = await client.send_message(
            sid, components=parsed, priority=priority, requires_response=True, deadline=when,
            default_action=default_action,
        )
        roles = _roles(from_guests)
        return await _waiting(
            ctx, timeout, sid, sent.id, lambda: client.await_response(sid, sent.id, timeout=timeout, accept_roles=roles)
        )


def _roles(from_guests: bool) -> tuple[str, ...]:
    return ("owner", "guest") if from_guests else ("owner",)


async def _waiting(
    ctx: Ctx, timeout: float, session_id: str, message_id: str, wait: Callable[[], Awaitable[Any]]
) -> Answer:
    """Run `wait` (an SDK wait for a response) while reporting progress; a timeout is an Answer, not an error."""
    interval = _state(ctx).options.progress_interval
    started = anyio.current_time()
    outcome: list[Any] = []

    async def report() -> None:
        while True:
            done = anyio.current_time() - started
            await ctx.report_progress(
                done, timeout, message=f"Waiting for an answer in Hiloop ({done:.0f} s of {timeout:.0f} s)"
            )
            await anyio.sleep(interval)

    async with anyio.create_task_group() as tg:
        tg.start_soon(report)
        try:
            outcome.append(await wait())
        except (HiloopError, CryptoError) as exc:
            outcome.append(exc)
        tg.cancel_scope.cancel()
    waited = anyio.current_time() - started
    result = outcome[0]
    if isinstance(result, ResponseTimeout):
        return Answer(status="waiting", session_id=session_id, message_id=message_id, waited_seconds=round(waited, 1))
    if isinstance(result, (HiloopError, CryptoError)):
        raise result
    return _convert.answer(result, session_id=session_id, message_id=message_id, waited=waited)


_READ = ToolAnnotations(read_only_hint=True, open_world_hint=True)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)

TOOLS: list[tuple[Callable[..., Any], str, ToolAnnotations]] = [
    (create_session, "Start a Hiloop session", _WRITE),
    (send_message, "Send a message to the person", _WRITE),
    (ask, "Ask the person and wait for the answer", _WRITE),
    (await_response, "Wait for the person's answer", _READ),
    (get_session_timeline, "Read a session's messages", _READ),
    (list_sessions, "List Hiloop sessions", _READ),
    (create_guest_token, "Make a guest link", _WRITE),
    (close_session, "Close a session", ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True)),
]


def describe(fn: Callable[..., Any]) -> str:
    """A tool's docstring as one paragraph (clients show descriptions as they are)."""
    return " ".join(inspect.cleandoc(fn.__doc__ or "").split())


def register(server: MCPServer[Any]) -> None:
    for fn, title, annotations in TOOLS:
        server.add_tool(fn, title=title, description=describe(fn), annotations=annotations, structured_output=True)

