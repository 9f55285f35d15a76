"""A hook's question to the daemon: one line of JSON over its Unix socket, one line back.

Requests: {"op": "ping"}, {"op": "permission", "hook": {...}, "timeout": s, "on_deadline": "deny"|"ask"},
{"op": "ask", "hook": {...}, "timeout": s}, {"op": "elicit", "hook": {...}, "timeout": s}. Replies: {"ok": true, ...} or {"ok": false, "error": code}.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_LINE = 8 * 1024 * 1024


class DaemonUnavailable(Exception):
    """The daemon is not running and could not be started, or it broke the connection."""


def call(path: Path, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Send one request and wait up to `timeout` seconds for its reply."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(min(timeout, 5.0))
        try:
            sock.connect(os.fspath(path))
        except OSError as exc:
            raise DaemonUnavailable(f"cannot connect: {exc.__class__.__name__}") from exc
        sock.settimeout(timeout)
        try:
            sock.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
            reply = _read_line(sock)
        except OSError as exc:  # socket.timeout is an OSError
            raise DaemonUnavailable(f"no reply: {exc.__class__.__name__}") from exc
    finally:
        sock.close()
    try:
        value = json.loads(reply)
    except ValueError as exc:
        raise DaemonUnavailable("unreadable reply") from exc
    if not isinstance(value, dict):
        raise DaemonUnavailable("unreadable reply")
    return value


def _read_line(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise DaemonUnavailable("the daemon closed the connection")
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunks.append(chunk[:newline])
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_LINE:
            raise DaemonUnavailable("reply too long")


def start_daemon(entry: Path, data_dir: Path, log: Path) -> None:
    """Start the daemon in its own session, detached from the hook (it outlives it)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(log, "ab") as err:
        subprocess.Popen(
            [sys.executable, os.fspath(entry), "daemon", "--data", os.fspath(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            close_fds=True,
        )


def connect_or_start(path: Path, entry: Path, data_dir: Path, log: Path, wait: float) -> None:
    """Make sure the daemon answers on `path`, starting it if needed (DaemonUnavailable after `wait`)."""
    try:
        if call(path, {"op": "ping"}, 2.0).get("ok"):
            return
    except DaemonUnavailable:
        pass
    start_daemon(entry, data_dir, log)
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            if call(path, {"op": "ping"}, 2.0).get("ok"):
                return
        except DaemonUnavailable:
            time.sleep(0.05)
    raise DaemonUnavailable("the daemon did not start")
