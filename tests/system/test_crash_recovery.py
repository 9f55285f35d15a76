"""kill -9 of the relay under load, then a restart: every acknowledged message is there exactly once."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest
from system_relay import RelayProcess, World

from hiloop import AsyncHiloopClient, TransportError

pytestmark = pytest.mark.anyio

SENDERS = 8
KILL_AFTER_ACKS = 40


async def test_acknowledged_messages_survive_kill_9_exactly_once(world: World) -> None:
    agent, relay = world.agent, world.relay
    session = await agent.create_session("Crash test")
    acked: list[str] = []
    enough = anyio.Event()
    failures: list[BaseException] = []

    async def sender(n: int) -> None:
        i = 0
        while True:
            try:
                sent = await agent.send_message(session.id, [{"type": "text", "text": f"sender {n} message {i}"}])
            except TransportError as exc:  # the relay is gone: stop, as an agent would until it is back
                failures.append(exc)
                return
            acked.append(sent.id)
            i += 1
            if len(acked) >= KILL_AFTER_ACKS:
                enough.set()

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for n in range(SENDERS):
                tg.start_soon(sender, n)
            await enough.wait()
            relay.kill()
    assert len(failures) == SENDERS  # every sender saw the relay die mid-load

    restarted = RelayProcess(db_path=relay.db_path, port=relay.port, env=relay.env)
    restarted.start()
    try:
        assert restarted.setup_link is None  # the owner exists: no new set-up link
        fresh = AsyncHiloopClient()  # nothing cached from before the crash
        try:
            timeline = await fresh.get_session_timeline(session.id, limit=500)
            mids = [m.id for m in timeline.messages]
            seqs = [m.seq for m in timeline.messages]
            counts = Counter(mids)
            assert [mid for mid, c in counts.items() if c > 1] == []
            assert set(acked) <= set(mids)
            assert seqs == list(range(1, len(seqs) + 1))
            assert len(mids) <= len(acked) + SENDERS  # at most one unacknowledged send per sender landed
            after = await fresh.send_message(session.id, [{"type": "text", "text": "after the restart"}])
            assert after.seq == len(seqs) + 1
        finally:
            await fresh.aclose()
    finally:
        restarted.stop()
