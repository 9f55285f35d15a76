import anyio
import pytest

from relay.broker import InProcessBroker, tick
from relay.longpoll import Coalescer, wait_for

pytestmark = pytest.mark.anyio


async def test_waiters_woken_together_share_one_read():
    coalescer, calls, gate = Coalescer(), [], anyio.Event()

    async def read():
        calls.append(1)
        await gate.wait()
        return len(calls)

    woken = tick()
    results = []

    async def waiter():
        results.append(await coalescer.run("k", woken, read))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert results == [1] * 5 and len(calls) == 1
    assert len(coalescer) == 0


async def test_a_read_that_started_before_the_wake_up_is_not_shared():
    coalescer, gate, order = Coalescer(), anyio.Event(), []

    async def slow_old_read():
        await gate.wait()
        return "old"

    async def fresh_read():
        return "fresh"

    async with anyio.create_task_group() as tg:
        async def first():
            order.append(await coalescer.run("k", tick(), slow_old_read))

        tg.start_soon(first)
        await anyio.wait_all_tasks_blocked()
        woken_after = tick()  # a wake-up after the slow read began: it may have missed what woke us
        order.append(await coalescer.run("k", woken_after, fresh_read))
        gate.set()
    assert order == ["fresh", "old"]


async def test_a_cancelled_waiter_does_not_cancel_the_shared_read():
    coalescer, gate = Coalescer(), anyio.Event()

    async def read():
        await gate.wait()
        return "done"

    cutoff = tick()
    result = {}
    async with anyio.create_task_group() as tg:
        scope = anyio.CancelScope()

        async def doomed():
            with scope:
                await coalescer.run("k", cutoff, read)

        async def survivor():
            result["v"] = await coalescer.run("k", cutoff, read)

        tg.start_soon(doomed)
        tg.start_soon(survivor)
        await anyio.wait_all_tasks_blocked()
        scope.cancel()
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert result == {"v": "done"}


async def test_wait_for_returns_what_a_publish_makes_readable():
    broker, box = InProcessBroker(), []

    async def read(_cutoff):
        return box[0] if box else None

    async with anyio.create_task_group() as tg:
        got = {}

        async def waiter():
            got["v"] = await wait_for(broker, ("t",), 30, read)

        tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        assert broker.waiting("t") == 1
        box.append("x")
        with anyio.fail_after(5):
            await broker.publish("t")
    assert got == {"v": "x"}
