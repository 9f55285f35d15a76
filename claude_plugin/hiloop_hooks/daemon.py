"""The plugin's long-lived local process: the only part that imports hiloop and talks to the relay.

One daemon per plugin data folder (an exclusive lock on daemon.lock), started by the first hook that
finds none, gone after `HILOOP_DAEMON_IDLE` seconds with nothing to do. It

- sends spooled events, oldest first, as encrypted `tool_event` messages, one Hiloop session (kind
  `claude_code`) per Claude Code session; a file is deleted only once the relay stored it, so a relay
  that is down delays events and loses none;
- follows each session's timeline: an owner's `instruction` goes to the inbox for the hooks to
  deliver; an owner's `response` settles the permission request or question it answers (answers
  signed by anyone else are ignored: the role is the certificate's, checked by the SDK);
- answers the hooks' requests on its Unix socket (ipc.py).

Nothing here logs content: log lines name events, ids and error classes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hiloop_hooks import elicitation, events, inbox, permission, questions, spool
from hiloop_hooks.config import Paths, Settings
from hiloop_hooks.ipc import MAX_LINE

T = TypeVar("T")
POLL_BUSY = 0.03  # seconds between spool scans while events flow
POLL_IDLE = 0.25
CLOSING_GRACE = 0.3  # seconds a Stop or SessionEnd waits for the session's async events written late
SESSION_START_HOLD = 30.0  # seconds a new session waits for its first prompt (its title) before it opens anyway
LISTEN_WAIT = 25  # long-poll hold, seconds
COALESCE = 2.0  # seconds a timeline follower rests after waking for the daemon's own events only
RETRY = (0.2, 0.5, 1.0, 2.0, 5.0)


class RelayDown(Exception):
    """The relay could not be reached (the backend's transport error)."""


class Rejected(Exception):
    """The relay refused something for good (a 4xx): retrying will not help. `code` is the relay's."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def session_gone(self) -> bool:
        """The Hiloop session was closed or is unknown (another relay, a reset database)."""
        return self.code in ("not_found", "session_closed", "forbidden")


@dataclass(frozen=True)
class Incoming:
    """A verified message from a session's timeline."""

    seq: int
    mid: str
    role: str
    kind: str  # the plaintext's type: instruction, response, tool_event, message…
    content: dict[str, Any]
    reply_to: str | None = None


class Backend(Protocol):
    """What the daemon needs from the relay (SdkBackend wraps hiloop.AsyncHiloopClient).

    Every method raises RelayDown when the relay cannot be reached and Rejected when it refuses.
    """

    async def create_session(self, title: str) -> str: ...

    async def send_event(self, sid: str, event: str, data: dict[str, Any]) -> None: ...

    async def send_request(
        self, sid: str, components: list[dict[str, Any]], *, type: str, deadline: float, default_action: str | None
    ) -> str: ...

    async def timeline(self, sid: str, after: int, wait: float) -> tuple[list[Incoming], int]: ...

    async def close_session(self, sid: str) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class Mirror:
    """One Claude Code session and the Hiloop session that mirrors it."""

    claude_id: str
    sid: str | None = None
    cursor: int = 0
    ended: bool = False
    touched: float = field(default_factory=time.time)
    listener: asyncio.Task[None] | None = None
    asking: int = 0  # requests being sent or waited on: the follower must not rest meanwhile
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> dict[str, Any]:
        return {"sid": self.sid, "cursor": self.cursor, "ended": self.ended, "touched": self.touched}


Decide = Callable[[Incoming], "dict[str, Any] | None"]


@dataclass
class Waiter:
    claude_id: str
    future: asyncio.Future[dict[str, Any]]
    decide: Decide


class Daemon:
    def __init__(self, paths: Paths, settings: Settings, backend: Backend, log: Callable[[str], None]) -> None:
        self.paths = paths
        self.settings = settings
        self.backend = backend
        self.log = log
        self.mirrors: dict[str, Mirror] = {}
        self.waiters: dict[str, Waiter] = {}
        self.early: dict[str, list[Incoming]] = {}  # owner responses that came before their waiter
        self.clients = 0
        self.last_busy = time.monotonic()
        self.stopping = asyncio.Event()
        self._create_lock = asyncio.Lock()
        self._load()

    # --- state ---------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            raw = json.loads(self.paths.state.read_text())
        except (OSError, ValueError):
            return
        if not isinstance(raw, dict):
            return
        now = time.time()
        for claude_id, item in raw.items():
            if not isinstance(item, dict) or now - float(item.get("touched") or 0) > 86400:
                continue
            self.mirrors[claude_id] = Mirror(
                claude_id, item.get("sid"), int(item.get("cursor") or 0), bool(item.get("ended")), float(item.get("touched") or now)
            )

    def _save(self) -> None:
        data = {k: m.to_json() for k, m in self.mirrors.items()}
        tmp = self.paths.state.with_name(self.paths.state.name + ".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.paths.state)

    def mirror(self, claude_id: str) -> Mirror:
        m = self.mirrors.get(claude_id)
        if m is None:
            m = self.mirrors[claude_id] = Mirror(claude_id)
        return m

    async def ensure_session(self, m: Mirror, title_from: Mapping[str, Any]) -> str:
        """The Hiloop session for this Claude Code session, created on first need (RelayDown, Rejected)."""
        async with self._create_lock:
            if m.sid is None:
                if not title_from.get("prompt"):
                    prompt = first_prompt(m.claude_id, in_order(spool.ready(self.paths.spool)))
                    title_from = {**title_from, "prompt": prompt} if prompt else title_from
                m.sid = await self.backend.create_session(title(title_from))
                self.log(f"session {m.sid} mirrors a Claude Code session")
                self._save()
            self._listen(m)
            return m.sid

    async def send_to_mirror(self, m: Mirror, title_from: Mapping[str, Any], send: Callable[[str], Awaitable[T]]) -> T:
        """`send(sid)`; when the Hiloop session is gone (closed, or unknown to the relay), open a new one
        for this Claude Code session and send there."""
        assert m.sid is not None
        try:
            return await send(m.sid)
        except Rejected as exc:
            if not exc.session_gone:
                raise
            self.log(f"session {m.sid} is gone ({exc.code}): opening another")
            if m.listener is not None:
                m.listener.cancel()
            m.sid, m.cursor, m.listener = None, 0, None
            return await send(await self.ensure_session(m, title_from))

    # --- the spool -----------------------------------------------------------------------------

    async def pump(self) -> None:
        """Send spooled events forever, oldest first; back off while the relay is down."""
        failures = 0
        while not self.stopping.is_set():
            batch = in_order(spool.ready(self.paths.spool))
            if not batch:
                await self._sleep(POLL_IDLE if time.monotonic() - self.last_busy > 2 else POLL_BUSY)
                continue
            held: set[str] = set()
            sent = 0
            try:
                for path, event in batch:
                    if self.stopping.is_set():
                        return
                    if await self.send_event(path, event, batch, held):
                        sent += 1
                failures = 0
            except RelayDown:
                delay = RETRY[min(failures, len(RETRY) - 1)]
                failures += 1
                await self._sleep(delay)
                continue
            if sent:
                self.last_busy = time.monotonic()
            else:
                await self._sleep(POLL_IDLE)  # only held events: a new session waiting for its first prompt

    async def send_event(self, path: Path, event: dict[str, Any], batch: Batch, held: set[str]) -> bool:
        """Send one spooled event (False when it waits: its session is held back this round)."""
        claude_id = str(event.get("session_id") or "")
        if not claude_id:
            path.unlink(missing_ok=True)
            return False
        if claude_id in held:
            return False
        if event.get("hook_event_name") in CLOSING and _age(path) < CLOSING_GRACE:
            held.add(claude_id)  # let the session's async hooks that were still writing catch up
            return False
        m = self.mirror(claude_id)
        m.touched = time.time()
        name, data = events.tool_event(event) if event.get("hook_event_name") != "InstructionDelivered" else (
            "InstructionDelivered", {"mids": event.get("mids") or [], "via": event.get("via")})
        if m.sid is None:
            title_from = dict(event)
            if name == "SessionStart":
                later = [e for p, e in batch if p != path and e.get("session_id") == claude_id]
                if not later and _age(path) < SESSION_START_HOLD:
                    held.add(claude_id)  # the session appears with its first prompt, which makes its title
                    return False
                prompt = first_prompt(claude_id, batch)
                if prompt:
                    title_from["prompt"] = prompt
            try:
                await self.ensure_session(m, title_from)
            except Rejected as exc:
                self.log(f"the relay refused to create a session ({exc.code}); this event is dropped")
                path.unlink(missing_ok=True)
                return False
        assert m.sid is not None
        try:
            await self.send_to_mirror(m, event, lambda sid: self.backend.send_event(sid, name, data))
        except Rejected as exc:
            self.log(f"the relay refused a {name} event ({exc.code}); dropped")
        path.unlink(missing_ok=True)
        if name == "SessionEnd":
            m.ended = True
            self._save()
        return True

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    # --- timelines -----------------------------------------------------------------------------

    def _listen(self, m: Mirror) -> None:
        if m.listener is None or m.listener.done():
            m.listener = asyncio.get_running_loop().create_task(self.listen(m))

    async def listen(self, m: Mirror) -> None:
        """Follow one session's timeline for instructions and answers while the session lives."""
        failures = 0
        assert m.sid is not None
        while not self.stopping.is_set():
            if m.ended and not self._waiting_in(m):
                return
            try:
                messages, cursor = await self.backend.timeline(m.sid, m.cursor, LISTEN_WAIT)
                failures = 0
            except RelayDown:
                await self._sleep(RETRY[min(failures, len(RETRY) - 1)])
                failures += 1
                continue
            except Rejected as exc:
                self.log(f"the relay refused the timeline of {m.sid} ({exc.code}); not following it")
                return
            for message in messages:
                self.on_message(m, message)
            if cursor != m.cursor:
                m.cursor = cursor
                self._save()
            if messages and all(x.role == "agent" for x in messages) and not self._waiting_in(m):
                await self._rest(m)  # only our own events woke us: let a burst of them pass

    def _waiting_in(self, m: Mirror) -> bool:
        return m.asking > 0 or any(w.claude_id == m.claude_id for w in self.waiters.values())

    async def _rest(self, m: Mirror) -> None:
        """Pause following a timeline for COALESCE seconds, unless a request starts meanwhile."""
        m.wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(m.wake.wait(), COALESCE)

    def on_message(self, m: Mirror, message: Incoming) -> None:
        if message.role != "owner":
            return  # only an owner instructs or decides; a guest's or reader's answer is ignored
        if message.kind == "instruction":
            text = message.content.get("text")
            if isinstance(text, str) and text.strip():
                inbox.write(self.paths.inbox_for(m.claude_id), message.seq, message.mid, text)
                self.log(f"instruction {message.mid} waits for the next hook of {m.sid}")
        elif message.kind == "response" and message.reply_to:
            waiter = self.waiters.get(message.reply_to)
            if waiter is None:
                self.early.setdefault(message.reply_to, []).append(message)
                return
            self._settle(message.reply_to, waiter, message)

    def _settle(self, mid: str, waiter: Waiter, message: Incoming) -> None:
        if waiter.future.done():
            return
        output = waiter.decide(message)
        if output is not None:
            waiter.future.set_result(output)
        else:
            self.log(f"an answer to {mid} decides nothing; still waiting")

    # --- questions from hooks ------------------------------------------------------------------

    async def ask_owner(
        self, hook: Mapping[str, Any], components: list[dict[str, Any]], *, type: str, timeout: float,
        default_action: str | None, decide: Decide,
    ) -> dict[str, Any] | None:
        """Send a request and wait for an owner's answer that decides; None on deadline. Raises RelayDown."""
        m = self.mirror(str(hook.get("session_id") or "unknown"))
        m.touched = time.time()
        m.asking += 1
        m.wake.set()
        try:
            try:
                await self.ensure_session(m, hook)
                mid = await self.send_to_mirror(m, hook, lambda sid: self.backend.send_request(
                    sid, components, type=type, deadline=timeout, default_action=default_action))
            except Rejected as exc:
                self.log(f"the relay refused a request ({exc.code}); no decision")
                return None
            waiter = Waiter(m.claude_id, asyncio.get_running_loop().create_future(), decide)
            self.waiters[mid] = waiter
            for message in self.early.pop(mid, []):
                self._settle(mid, waiter, message)
            try:
                return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
            except asyncio.TimeoutError:
                return None
            finally:
                self.waiters.pop(mid, None)
        finally:
            m.asking -= 1

    async def on_permission(self, request: Mapping[str, Any]) -> dict[str, Any]:
        hook = _dict(request.get("hook"))
        timeout = float(request.get("timeout") or self.settings.permission_timeout)
        on_deadline = str(request.get("on_deadline") or self.settings.on_deadline)
        if hook.get("tool_name") == questions.TOOL:
            return await self.on_ask(request)

        def decide(message: Incoming) -> dict[str, Any] | None:
            c = message.content
            perms = c.get("permissions")
            return permission.decision(hook, permission.Answer(
                _str(c.get("action")), _str(c.get("text")), perms if isinstance(perms, list) else None))

        try:
            output = await self.ask_owner(
                hook, permission.components(hook), type="permission_request", timeout=timeout,
                default_action="deny" if on_deadline == "deny" else None, decide=decide,
            )
        except RelayDown:
            self.log("relay unreachable: no decision")
            return {"ok": False, "error": "relay_unreachable"}
        if output is None:
            self.log(f"no answer within {timeout:g} s: {'deny' if on_deadline == 'deny' else 'no decision'}")
            output = permission.deadline_output(on_deadline, timeout)
        return {"ok": True, "output": output}

    async def on_ask(self, request: Mapping[str, Any]) -> dict[str, Any]:
        hook = _dict(request.get("hook"))
        timeout = float(request.get("timeout") or self.settings.permission_timeout)
        if not questions.asked(hook):
            return {"ok": True, "output": None}

        def decide(message: Incoming) -> dict[str, Any] | None:
            answers = message.content.get("answers")
            return questions.output(hook, answers) if isinstance(answers, dict) else None

        try:
            output = await self.ask_owner(hook, questions.components(hook), type="question", timeout=timeout,
                                          default_action=None, decide=decide)
        except RelayDown:
            return {"ok": False, "error": "relay_unreachable"}
        return {"ok": True, "output": output}

    async def on_elicit(self, request: Mapping[str, Any]) -> dict[str, Any]:
        hook = _dict(request.get("hook"))
        timeout = float(request.get("timeout") or self.settings.permission_timeout)
        if hook.get("mode") == "url":
            return {"ok": True, "output": None}  # a link to open: only the terminal can do that

        def decide(message: Incoming) -> dict[str, Any] | None:
            answers = message.content.get("answers")
            return elicitation.output(hook, _str(message.content.get("action")),
                                      answers if isinstance(answers, dict) else None)

        try:
            output = await self.ask_owner(hook, elicitation.components(hook), type="form", timeout=timeout,
                                          default_action=None, decide=decide)
        except RelayDown:
            return {"ok": False, "error": "relay_unreachable"}
        return {"ok": True, "output": output}

    # --- the socket ----------------------------------------------------------------------------

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients += 1
        self.last_busy = time.monotonic()
        try:
            line = await reader.readline()
            try:
                request = json.loads(line)
            except ValueError:
                request = {}
            op = request.get("op") if isinstance(request, dict) else None
            handlers: dict[str, Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]] = {
                "permission": self.on_permission, "ask": self.on_ask, "elicit": self.on_elicit,
            }
            if op == "ping":
                reply: dict[str, Any] = {"ok": True, "pid": os.getpid()}
            elif op in handlers:
                task = asyncio.ensure_future(handlers[op](request))
                gone = asyncio.ensure_future(reader.read(1))  # EOF: the hook was killed; stop waiting
                done, _ = await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
                if task not in done:
                    task.cancel()
                    return
                gone.cancel()
                reply = task.result()
            else:
                reply = {"ok": False, "error": "unknown_op"}
            writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.clients -= 1
            self.last_busy = time.monotonic()
            writer.close()

    # --- lifetime ------------------------------------------------------------------------------

    def idle(self) -> bool:
        if self.clients or self.waiters or spool.ready(self.paths.spool):
            return False
        now = time.time()
        inactive = 2 * self.settings.daemon_idle  # a session quiet this long (and never ended) counts as over
        return all(m.ended or now - m.touched > inactive for m in self.mirrors.values())

    async def watch_idle(self) -> None:
        while not self.stopping.is_set():
            await self._sleep(1.0)
            if not self.paths.root.is_dir():
                self.log("the plugin's data folder is gone: exiting")
                self.stopping.set()
            elif not self.idle():
                self.last_busy = time.monotonic()
            elif time.monotonic() - self.last_busy > self.settings.daemon_idle:
                self.log("idle: exiting")
                self.stopping.set()

    async def run(self) -> None:
        sock = self.paths.socket
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()
        server = await asyncio.start_unix_server(self.serve_client, path=os.fspath(sock), limit=MAX_LINE)
        os.chmod(sock, 0o600)
        for m in self.mirrors.values():
            if m.sid is not None and not m.ended:
                self._listen(m)
        tasks = [asyncio.ensure_future(self.pump()), asyncio.ensure_future(self.watch_idle())]
        try:
            await self.stopping.wait()
        finally:
            server.close()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(FileNotFoundError):
                sock.unlink()
            await self.shutdown()

    async def shutdown(self) -> None:
        """Stop following timelines, save the state, close the backend."""
        self.stopping.set()
        listeners = [m.listener for m in self.mirrors.values() if m.listener]
        for t in listeners:
            t.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        self._save()
        await self.backend.aclose()


def title(hook: Mapping[str, Any]) -> str:
    project = events.project_name(hook)
    prompt = str(hook.get("prompt") or "").strip().splitlines()
    if prompt:
        first = prompt[0]
        return f"{project}: {first[:77] + '…' if len(first) > 80 else first}"
    return f"{project}: Claude Code"


def _age(path: os.PathLike[str]) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return SESSION_START_HOLD


Batch = list[tuple[Path, dict[str, Any]]]


CLOSING = frozenset({"Stop", "SessionEnd"})
TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse", "PostToolUseFailure"})


def in_order(paths: list[Path]) -> Batch:
    """The spooled events, oldest first, put right where async hooks may have finished writing out of
    order: a tool's PreToolUse before its PostToolUse, and a session's Stop or SessionEnd after its
    tool events."""
    batch = [(p, e) for p in paths if (e := spool.read(p)) is not None]
    out: Batch = []
    placed: set[int] = set()

    def place(i: int) -> None:
        if i in placed:
            return
        placed.add(i)
        path, event = batch[i]
        name = event.get("hook_event_name")
        session = event.get("session_id")
        later = range(i + 1, len(batch))
        if name in CLOSING:
            for j in later:
                if batch[j][1].get("session_id") == session and batch[j][1].get("hook_event_name") in TOOL_EVENTS:
                    place(j)
        tool_use = event.get("tool_use_id")
        if tool_use and name in ("PostToolUse", "PostToolUseFailure"):
            for j in later:
                other = batch[j][1]
                if other.get("tool_use_id") == tool_use and other.get("hook_event_name") == "PreToolUse":
                    place(j)
        out.append((path, event))

    for i in range(len(batch)):
        place(i)
    return out


def first_prompt(claude_id: str, batch: Batch) -> str | None:
    for _, event in batch:
        if event.get("session_id") == claude_id and event.get("hook_event_name") == "UserPromptSubmit":
            return str(event.get("prompt") or "")
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- the process -------------------------------------------------------------------------------


def run_daemon(paths: Paths, settings: Settings, env: Mapping[str, str]) -> None:
    """Run until idle; returns at once when another daemon holds the lock."""
    paths.make()
    os.chmod(paths.root, 0o700)  # spooled events are plaintext until sent: this user only
    lock = open(paths.lock, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return
    paths.pid.write_text(str(os.getpid()))

    def log(line: str) -> None:
        print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} hiloop-daemon[{os.getpid()}] {line}", file=sys.stderr, flush=True)

    from hiloop_hooks.backend import NotPaired, SdkBackend  # imports hiloop

    async def main() -> None:
        try:
            backend = await SdkBackend.open(env, settings.public_mode)
        except NotPaired:
            log("no agent identity: pair with `hiloop agent add NAME`; exiting")
            paths.unpaired.touch()
            return
        daemon = Daemon(paths, settings, backend, log)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, daemon.stopping.set)
        log("started")
        await daemon.run()

    try:
        asyncio.run(main())
    finally:
        with contextlib.suppress(OSError):
            if paths.pid.read_text().strip() == str(os.getpid()):
                paths.pid.unlink()
        lock.close()
