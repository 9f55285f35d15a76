import anyio
import pytest

from relay.broker import InProcessBroker
from relay.db.store import Store, Tx

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "store.db", InProcessBroker())
    await s.open()
    yield s
    await s.close()


async def test_a_failed_write_rolls_back_everything(store):
    def fail(tx: Tx) -> None:
        tx.add_setup_token("h1")
        raise RuntimeError("fail")

    with pytest.raises(RuntimeError):
        await store.write(fail)
    assert not await store.read(lambda tx: tx.setup_token_exists("h1"))


async def test_wake_ups_are_published_only_after_a_commit(store):
    def fail(tx: Tx) -> None:
        tx.notify("t")
        raise RuntimeError("fail")

    async with store.broker.subscribe("t") as sub:
        with pytest.raises(RuntimeError):
            await store.write(fail)
        assert not await sub.wait(0)
        await store.write(lambda tx: tx.notify("t"))
        assert await sub.wait(0)


async def test_a_read_sees_one_snapshot_and_no_uncommitted_write(store):
    def write_then_check(tx: Tx) -> None:
        tx.add_setup_token("h2")

    await store.write(write_then_check)
    assert await store.read(lambda tx: (tx.setup_token_exists("h2"), tx.owner_count())) == (True, 0)


@pytest.mark.parametrize("checkpoints", range(8))
async def test_cancelling_a_request_mid_transaction_leaves_the_store_usable(store, checkpoints):
    def churn(tx: Tx) -> None:
        tx.add_setup_token("x")
        tx.consume_setup_token("x")

    async def work_forever():
        while True:
            await store.read(lambda tx: tx.owner_count())
            await store.write(churn)

    for _ in range(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(work_forever)
            for _ in range(checkpoints):
                await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()
    with anyio.fail_after(5):
        assert await store.read(lambda tx: tx.owner_count()) == 0
        await store.write(lambda tx: tx.add_setup_token("y"))
        assert await store.read(lambda tx: tx.setup_token_exists("x")) is False


async def test_a_subscriber_misses_no_publish_between_reset_and_wait():
    broker = InProcessBroker()
    async with broker.subscribe("a", "b") as sub:
        sub.reset()
        await broker.publish("b", {"kind": "typing"})
        assert await sub.wait(0)
        assert sub.take_payloads() == [{"kind": "typing"}]
        sub.reset()
        assert not await sub.wait(0)
        assert broker.waiting("a") == 1
    assert broker.waiting("a") == 0


async def test_old_events_are_pruned(store):
    def add(tx: Tx) -> None:
        tx.insert_event("o_1", "session", None, {})
        tx.run("UPDATE events SET created_at = '2000-01-01T00:00:00.000000Z'")
        tx.insert_event("o_1", "session", None, {})

    await store.write(add)
    assert await store.write(lambda tx: tx.prune_events("2020-01-01T00:00:00.000000Z")) == 1
    assert [r["id"] for r in await store.read(lambda tx: tx.events_after("o_1", 0, 10))] == [2]
