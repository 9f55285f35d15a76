"""Canary strings written by agent and owner never reach the relay's database files or its output."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from system_relay import World

pytestmark = pytest.mark.anyio

TITLE = "CANARY-title-7f3a"
TEXT = "CANARY-text-91bc"
ANSWER = "CANARY-answer-44d0"
TOOL_INPUT = "CANARY-tool-input-rm-rf-0e12"
FILE_PATH = "/srv/CANARY-path-5a77/secrets.env"
INSTRUCTION = "CANARY-instruction-c3d9"
CANARIES = [TITLE, TEXT, ANSWER, TOOL_INPUT, FILE_PATH, INSTRUCTION]


def database_bytes(db_path: Path) -> dict[str, bytes]:
    """The SQLite file and its WAL and shared-memory files, as they are on disk right now."""
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    return {p.name: p.read_bytes() for p in files}


def assert_no_canary(where: str, blob: bytes) -> None:
    for canary in CANARIES:
        for encoded in (canary.encode(), canary.encode("utf-16-le")):
            assert encoded not in blob, f"{canary!r} found in {where}"


async def test_no_plaintext_reaches_the_database_files_or_the_relay_output(world: World) -> None:
    agent, owner, relay = world.agent, world.owner, world.relay
    session = await agent.create_session(TITLE, priority="high")
    await agent.send_message(session.id, [{"type": "text", "text": TEXT}], type="report")
    await agent.send_message(session.id, [
        {"type": "code", "language": "bash", "source": TOOL_INPUT},
        {"type": "kv", "entries": [{"label": "file", "value": FILE_PATH}]},
    ], type="tool_event")
    form = await agent.send_message(session.id, [{"type": "qa", "questions": [
        {"id": "why", "kind": "open", "prompt": "Why?"},
        {"id": "env", "kind": "single", "prompt": "Where?", "options": ["staging", "production"]},
    ]}], type="form")
    await owner.respond(session.id, form.id, answers={"why": ANSWER, "env": "staging"})
    await owner.send_instruction(session.id, INSTRUCTION)
    with anyio.fail_after(10):
        response = await agent.await_response(session.id, form.id, timeout=10)
    assert response.answers == {"why": ANSWER, "env": "staging"}  # the content did travel, encrypted
    timeline = await agent.get_session_timeline(session.id)
    assert len(timeline.messages) == 5

    while_running = database_bytes(relay.db_path)
    assert any(name.endswith("-wal") for name in while_running), "the relay runs SQLite in WAL mode"
    for name, blob in while_running.items():
        assert_no_canary(f"{name} (relay running)", blob)

    relay.stop()
    for name, blob in database_bytes(relay.db_path).items():
        assert_no_canary(f"{name} (relay stopped)", blob)
    output = "".join(relay.output)
    assert "POST /v1/sessions/{sid}/messages 201" in output  # the access log was on, and is in `output`
    assert_no_canary("the relay's output", output.encode())
