"""A paired agent over every transport and protocol era: a session, then `ask` answered by the owner while
the tool waits, with progress notifications crossing the wire."""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest

from mcp_harness import ERAS, TRANSPORTS, connect

pytestmark = pytest.mark.anyio

BUTTONS = {"type": "button_group", "buttons": [{"label": "Ship", "action": "ship"}, {"label": "Hold", "action": "hold"}]}
CASES = list(itertools.product(TRANSPORTS, sorted(ERAS)))


@pytest.mark.parametrize(("transport", "era"), CASES, ids=[f"{t}-{e}" for t, e in CASES])
async def test_ask_is_answered_by_the_owner_while_the_tool_waits(paired: Any, transport: str, era: str) -> None:
    waiting = anyio.Event()
    progress: list[float] = []
    results: list[Any] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)
        waiting.set()

    async with connect(transport, era) as client:
        created = await client.call_tool("create_session", {"title": f"Release over {transport}"})
        assert not created.is_error
        sid = created.structured_content["session_id"]  # type: ignore[index]

        async def ask() -> None:
            results.append(
                await client.call_tool(
                    "ask", {"session_id": sid, "components": [BUTTONS], "timeout": 60}, progress_callback=on_progress
                )
            )

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                await waiting.wait()
                view = await paired.owner.open_session(sid)
                [request] = [m for m in view.messages if m.status == "open"]
                await paired.owner.respond(sid, request.id, action="ship")
    [result] = results
    assert not result.is_error
    assert result.structured_content["status"] == "answered"
    assert result.structured_content["action"] == "ship"
    assert result.structured_content["responder_role"] == "owner"
    assert progress
