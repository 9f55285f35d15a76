"""The commands hooks.json runs (through scripts/hiloop-hook): `main(argv)`.

    SessionStart            check the pairing (else one line on how to pair), spool the event,
                            start the daemon, deliver waiting instructions
    stream                  spool any event, deliver waiting instructions (scripts/hiloop-stream does the
                            same in the shell, faster)
    deliver FILE            deliver waiting instructions for the hook input in FILE
    PermissionRequest       ask the owner through the daemon; print the decision, or nothing
    AskUserQuestion         ask the owner a qa form through the daemon; print the answers, or nothing
    Elicitation             an MCP server's form, asked the same way; accept with content, or decline
    daemon [--data DIR] [--detach]   run (or start in the background) the long-lived process

Every command exits 0: a hook's own failure prints one line on stderr and decides nothing, so it
never breaks Claude Code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from hiloop_hooks import inbox, ipc, spool
from hiloop_hooks.config import PAIR_HINT, Paths, Settings, is_paired

ENTRY = Path(__file__).resolve().parent.parent / "hooks" / "entry.py"
DAEMON_START_WAIT = 8.0


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None,
         env: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    env = os.environ if env is None else env
    command = argv[0] if argv else ""
    try:
        output = run(command, argv[1:], stdin, env)
    except Exception as exc:  # the top-level handler: a hook's failure must not break Claude Code
        print(f"hiloop: the {command or 'hook'} hook failed ({exc.__class__.__name__}); continuing without it", file=sys.stderr)
        return 0
    if output is not None:
        stdout.write(json.dumps(output, ensure_ascii=False))
        stdout.write("\n")
        stdout.flush()
    return 0


def run(command: str, args: list[str], stdin: TextIO, env: Mapping[str, str]) -> dict[str, Any] | None:
    paths = Paths.from_env(env)
    if command == "daemon":
        return daemon(args, paths, env)
    if command == "deliver":
        if args and args[0] != "-":
            return deliver_from_file(Path(args[0]), paths)
        return deliver(_read_hook(stdin), paths)
    hook = _read_hook(stdin)
    if command == "SessionStart":
        return session_start(hook, paths, env)
    if command == "stream":
        return stream(hook, paths)
    if command == "PermissionRequest":
        return permission_request(hook, paths, Settings.from_env(env), env)
    if command == "AskUserQuestion":
        return ask_user_question(hook, paths, Settings.from_env(env), env)
    if command == "Elicitation":
        return elicit(hook, paths, Settings.from_env(env), env)
    print(f"hiloop: unknown hook command {command!r}", file=sys.stderr)
    return None


def _read_hook(stdin: TextIO) -> dict[str, Any]:
    raw = stdin.read()
    value = json.loads(raw) if raw.strip() else {}
    if not isinstance(value, dict):
        raise ValueError("hook input is not a JSON object")
    return value


# --- streaming -------------------------------------------------------------------------------


def session_start(hook: dict[str, Any], paths: Paths, env: Mapping[str, str]) -> dict[str, Any] | None:
    if not is_paired(env):
        paths.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths.unpaired.touch()
        print(PAIR_HINT, file=sys.stderr)
        return {"systemMessage": PAIR_HINT}
    paths.unpaired.unlink(missing_ok=True)
    return stream(hook, paths)


def stream(hook: dict[str, Any], paths: Paths) -> dict[str, Any] | None:
    if paths.unpaired.exists():
        return None
    paths.make()
    output = deliver(hook, paths)
    spool.put(paths.spool, hook)
    ensure_daemon(paths)
    return output


def deliver(hook: Mapping[str, Any], paths: Paths) -> dict[str, Any] | None:
    session = str(hook.get("session_id") or "")
    if not session:
        return None
    folder = paths.inbox_for(session)
    if not inbox.can_deliver(hook):
        return None
    items = inbox.claim(folder)
    if not items:
        return None
    spool.put(paths.spool, {
        "hook_event_name": "InstructionDelivered",
        "session_id": session,
        "via": hook.get("hook_event_name"),
        "mids": [item.get("mid") for item in items],
    })
    return inbox.output_for(hook, items)


def deliver_from_file(path: Path, paths: Paths) -> dict[str, Any] | None:
    hook = json.loads(path.read_text())
    return deliver(hook, paths) if isinstance(hook, dict) else None


def ensure_daemon(paths: Paths) -> None:
    """Start the daemon if its pid file names no live process (never waits for it)."""
    try:
        pid = int(paths.pid.read_text().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid > 0:
        try:
            os.kill(pid, 0)
            return
        except ProcessLookupError:
            pass
        except PermissionError:
            return
    ipc.start_daemon(ENTRY, paths.root, paths.log)


# --- questions to the owner --------------------------------------------------------------------


def permission_request(hook: dict[str, Any], paths: Paths, settings: Settings, env: Mapping[str, str]) -> dict[str, Any] | None:
    """The owner's decision, or None: Claude Code then asks in the terminal (or denies, headless)."""
    if not is_paired(env):
        return None
    request = {"op": "permission", "hook": hook, "timeout": settings.permission_timeout, "on_deadline": settings.on_deadline}
    return _ask_daemon(request, paths, settings)


def ask_user_question(hook: dict[str, Any], paths: Paths, settings: Settings, env: Mapping[str, str]) -> dict[str, Any] | None:
    if not is_paired(env):
        return None
    request = {"op": "ask", "hook": hook, "timeout": settings.permission_timeout}
    return _ask_daemon(request, paths, settings)


def elicit(hook: dict[str, Any], paths: Paths, settings: Settings, env: Mapping[str, str]) -> dict[str, Any] | None:
    if not is_paired(env):
        return None
    request = {"op": "elicit", "hook": hook, "timeout": settings.permission_timeout}
    return _ask_daemon(request, paths, settings)


def _ask_daemon(request: dict[str, Any], paths: Paths, settings: Settings) -> dict[str, Any] | None:
    try:
        ipc.connect_or_start(paths.socket, ENTRY, paths.root, paths.log, DAEMON_START_WAIT)
        reply = ipc.call(paths.socket, request, settings.permission_timeout + 30.0)
    except ipc.DaemonUnavailable as exc:
        print(f"hiloop: no decision from Hiloop ({exc})", file=sys.stderr)
        return None
    if not reply.get("ok"):
        print(f"hiloop: no decision from Hiloop ({reply.get('error') or 'unknown error'})", file=sys.stderr)
        return None
    output = reply.get("output")
    return output if isinstance(output, dict) else None


# --- the daemon --------------------------------------------------------------------------------


def daemon(args: list[str], paths: Paths, env: Mapping[str, str]) -> dict[str, Any] | None:
    data = paths.root
    if "--data" in args:
        index = args.index("--data")
        if index + 1 < len(args):
            data = Path(args[index + 1])
    if "--detach" in args:
        ipc.start_daemon(ENTRY, data, Paths(data).log)
        return None
    from hiloop_hooks.daemon import run_daemon  # imports hiloop: only the daemon pays for it

    run_daemon(Paths(data), Settings.from_env(env), env)
    return None
