"""A local fake of the Anthropic Messages API that the real Claude Code CLI can talk to.

A test registers a *script* under a name and puts `script_marker(name)` in the prompt (or in an
Agent tool's prompt, for a subagent). Each request is matched to its script by the marker found in
its first user message; the step to play is the number of assistant turns already in the request.
A step is a list of tool calls (played as `tool_use` blocks, in parallel) or a text, or a callable that
receives the recorded request and returns one of those (to build a call from earlier tool results,
e.g. an id a tool returned). After the last
step the fake answers with a final text that echoes the last tool result it was given, so the CLI's
JSON output shows what happened.

Every request is recorded (`requests`, `requests_for(name)`), so tests can assert what the model
saw: tool results, hook `additionalContext`, a Stop hook's reason.

The server always answers: a malformed request gets a 400 JSON error, never a crash (a fake that
drops the connection makes the CLI retry for minutes).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MARKER_PREFIX = "[[fake-script:"
FINAL_PREFIX = "FINAL: "


def script_marker(name: str) -> str:
    return f"{MARKER_PREFIX}{name}]]"


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Text:
    text: str


Played = ToolCall | Text | Sequence[ToolCall]
Step = Played | Callable[["Recorded"], Played]


def tool(name: str, **tool_input: Any) -> ToolCall:
    return ToolCall(name, tool_input)


def bash(command: str, description: str = "run a command") -> ToolCall:
    return ToolCall("Bash", {"command": command, "description": description})


def write(path: str, content: str) -> ToolCall:
    return ToolCall("Write", {"file_path": path, "content": content})


def edit(path: str, old: str, new: str) -> ToolCall:
    return ToolCall("Edit", {"file_path": path, "old_string": old, "new_string": new})


def subagent(name: str, prompt: str, description: str = "a subtask") -> ToolCall:
    """An Agent tool call whose subagent plays the script registered as `name`."""
    return ToolCall(
        "Agent",
        {"description": description, "prompt": f"{prompt} {script_marker(name)}", "subagent_type": "general-purpose"},
    )


@dataclass
class Recorded:
    script: str | None
    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """The whole request as text, for searching what the model was shown."""
        return json.dumps(self.body, ensure_ascii=False)

    def last_user_content(self) -> list[dict[str, Any]]:
        for message in reversed(self.body.get("messages", [])):
            if message.get("role") == "user":
                return _blocks(message.get("content"))
        return []

    def latest(self) -> str:
        """What was added since the model's last turn (tool results, hook context in system messages), as text."""
        messages = self.body.get("messages", [])
        last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
        return json.dumps(messages[last + 1 :], ensure_ascii=False)

    def tool_results(self) -> list[str]:
        """The text of each tool_result in the last user message."""
        return [_flatten(b.get("content")) for b in self.last_user_content() if b.get("type") == "tool_result"]


@dataclass
class _Script:
    steps: list[Step]
    final: str | None = None


@dataclass
class FakeAnthropic:
    """Runs in a daemon thread on 127.0.0.1 and a free port; `url` is the ANTHROPIC_BASE_URL."""

    latency: float = 0.0  # seconds before each answer (a real model takes a while to answer)
    scripts: dict[str, _Script] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    # --- scripting -----------------------------------------------------------------------------

    def script(self, name: str, steps: Iterable[Step], final: str | None = None) -> str:
        """Registers a script; returns its marker to put in a prompt."""
        with self._lock:
            self.scripts[name] = _Script(list(steps), final)
        return script_marker(name)

    def requests_for(self, name: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.script == name]

    def tool_results(self, name: str) -> list[str]:
        """Every tool result the model was shown in the script's conversation, in order."""
        seen: list[str] = []
        for recorded in self.requests_for(name):
            for result in recorded.tool_results():
                if result not in seen:
                    seen.append(result)
        return seen

    def saw(self, name: str, needle: str) -> bool:
        return any(needle in r.text for r in self.requests_for(name))

    def wait_for_request(self, predicate: Any, timeout: float) -> Recorded:
        """Blocks until a recorded request satisfies `predicate` (raises TimeoutError)."""
        with self._changed:
            ok = self._changed.wait_for(lambda: any(predicate(r) for r in list(self.requests)), timeout)
            if not ok:
                raise TimeoutError("no matching request to the fake model")
            return next(r for r in self.requests if predicate(r))

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAnthropic:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-anthropic", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answering -----------------------------------------------------------------------------

    def _record(self, path: str, body: dict[str, Any]) -> Recorded:
        name = _script_name(body)
        recorded = Recorded(name, path, body)
        with self._changed:
            with self._lock:
                self.requests.append(recorded)
            self._changed.notify_all()
        return recorded

    def _reply(self, recorded: Recorded) -> list[dict[str, Any]]:
        """The content blocks of the next assistant turn."""
        body = recorded.body
        turns = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        with self._lock:
            script = self.scripts.get(recorded.script or "")
        if script is None:
            return [{"type": "text", "text": "OK"}]
        if turns < len(script.steps):
            step = script.steps[turns]
            if callable(step):
                step = step(recorded)
            if isinstance(step, Text):
                return [{"type": "text", "text": step.text}]
            calls = [step] if isinstance(step, ToolCall) else list(step)
            return [
                {"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:24], "name": c.name, "input": c.input}
                for c in calls
            ]
        if script.final is not None:
            return [{"type": "text", "text": script.final}]
        results = recorded.tool_results()
        echoed = results[-1] if results else _last_user_text(recorded)
        return [{"type": "text", "text": FINAL_PREFIX + echoed}]


class _Handler(BaseHTTPRequestHandler):
    owner: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:16])
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, kind: str, message: str) -> None:
        body = {"type": "error", "error": {"type": kind, "message": message}}
        self._send(status, "application/json", json.dumps(body).encode())

    def do_GET(self) -> None:
        self._error(404, "not_found_error", f"the fake has no {self.path}")

    def do_HEAD(self) -> None:
        self._send(200, "text/plain", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "invalid_request_error", "body is not JSON")
            return
        if not isinstance(body, dict):
            self._error(400, "invalid_request_error", "body is not an object")
            return
        path = self.path.split("?", 1)[0]
        if path.endswith("/count_tokens"):
            self._send(200, "application/json", json.dumps({"input_tokens": max(1, len(raw) // 4)}).encode())
            return
        if not path.endswith("/v1/messages"):
            self._error(404, "not_found_error", f"the fake has no {path}")
            return
        recorded = self.owner._record(path, body)
        if self.owner.latency:
            time.sleep(self.owner.latency)
        try:
            blocks = self.owner._reply(recorded)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a bad script: tell, don't crash
            self._error(400, "invalid_request_error", f"fake script error: {exc!r}")
            return
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        message = {
            "id": "msg_" + uuid.uuid4().hex[:24],
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        }
        if body.get("stream"):
            self._send(200, "text/event-stream", _sse(message))
        else:
            self._send(200, "application/json", json.dumps(message).encode())


def _sse(message: dict[str, Any]) -> bytes:
    out: list[str] = []

    def event(kind: str, data: dict[str, Any]) -> None:
        out.append(f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n")

    start = dict(message, content=[], stop_reason=None)
    event("message_start", {"message": start})
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            event("content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
            event("content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            event("content_block_start", {"index": i, "content_block": dict(block, input={})})
            partial = json.dumps(block["input"])
            event("content_block_delta", {"index": i, "delta": {"type": "input_json_delta", "partial_json": partial}})
        event("content_block_stop", {"index": i})
    event(
        "message_delta",
        {"delta": {"stop_reason": message["stop_reason"], "stop_sequence": None}, "usage": {"output_tokens": 10}},
    )
    event("message_stop", {})
    return "".join(out).encode()


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _flatten(content: Any) -> str:
    return "\n".join(b.get("text", "") for b in _blocks(content) if b.get("type") == "text")


def _script_name(body: dict[str, Any]) -> str | None:
    """The script named by the first marker in a user message (the prompt, or a subagent's prompt)."""
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        text = json.dumps(message.get("content"), ensure_ascii=False)
        start = text.find(MARKER_PREFIX)
        if start >= 0:
            end = text.find("]]", start)
            return text[start + len(MARKER_PREFIX) : end] if end > 0 else None
    return None


def _last_user_text(recorded: Recorded) -> str:
    return _flatten(recorded.last_user_content())
