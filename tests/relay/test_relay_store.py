import anyio
import pytest

from relay.broker import InProcessBroker
from relay.db.store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "store.db", InProcessBroker())
    await s.open()
    yield s
    await s.close()


async def test_a_failed_write_rolls_back_everything(store):
    with pytest.raises(RuntimeError):
        async with store.write() as tx:
            await tx.add_setup_token("h1")
            raise RuntimeError("fail")
    async with store.read() as tx:
        assert not await tx.setup_token_exists("h1")


async def test_wake_ups_are_published_only_after_a_commit(store):
    async with store.broker.subscribe("t") as sub:
        with pytest.raises(RuntimeError):
            async with store.write() as tx:
                tx.notify("t")
                raise RuntimeError("fail")
        assert not await sub.wait(0)
        async with store.write() as tx:
            tx.notify("t")
        assert await sub.wait(0)


@pytest.mark.parametrize("checkpoints", range(8))
async def test_cancelling_a_request_mid_transaction_leaves_the_store_usable(store, checkpoints):
    async def read_forever():
        while True:
            async with store.read() as tx:
                await tx.owner_count()
            async with store.write() as tx:
                await tx.add_setup_token("x")
                await tx.consume_setup_token("x")

    for _ in range(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_forever)
            for _ in range(checkpoints):
                await anyio.lowlevel.checkpoint()
            tg.cancel_scope.cancel()
    with anyio.fail_after(5):
        async with store.read() as tx:
            assert await tx.owner_count() == 0
        async with store.write() as tx:
            await tx.add_setup_token("y")


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
