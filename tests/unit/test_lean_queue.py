"""LeanQueue behaves as asyncio.Queue does for what engine.io and uvicorn ask of it."""

from __future__ import annotations

import asyncio

import pytest

from herald.chat.lean_queue import LeanQueue

pytestmark = pytest.mark.unit


async def test_items_come_out_in_the_order_they_went_in() -> None:
    queue: LeanQueue[int] = LeanQueue()
    for n in range(5):
        queue.put_nowait(n)
    await queue.put(5)
    assert queue.qsize() == 6
    assert [await queue.get() for _ in range(3)] + [queue.get_nowait() for _ in range(3)] == list(range(6))
    assert queue.empty()


async def test_get_nowait_on_an_empty_queue_raises_queue_empty() -> None:
    with pytest.raises(asyncio.QueueEmpty):
        LeanQueue[int]().get_nowait()


async def test_get_waits_for_a_put() -> None:
    queue: LeanQueue[str] = LeanQueue()
    getting = asyncio.create_task(queue.get())
    await asyncio.sleep(0)  # let the getter start waiting
    assert not getting.done()
    queue.put_nowait("packet")
    assert await asyncio.wait_for(getting, timeout=1) == "packet"


async def test_a_get_that_times_out_loses_nothing() -> None:
    queue: LeanQueue[str] = LeanQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), timeout=0.01)  # how engine.io polls
    queue.put_nowait("after")
    assert await asyncio.wait_for(queue.get(), timeout=1) == "after"


async def test_a_getter_cancelled_after_its_wake_up_passes_the_item_on() -> None:
    queue: LeanQueue[str] = LeanQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, timeout=1) == "only"
    assert first.cancelled()


async def test_several_getters_each_get_one_item() -> None:
    queue: LeanQueue[int] = LeanQueue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for n in range(3):
        queue.put_nowait(n)
    assert sorted(await asyncio.wait_for(asyncio.gather(*getters), timeout=1)) == [0, 1, 2]


async def test_join_waits_until_every_item_is_done() -> None:
    queue: LeanQueue[int] = LeanQueue()
    await asyncio.wait_for(queue.join(), timeout=1)  # nothing put: nothing to wait for
    queue.put_nowait(1)
    queue.put_nowait(2)
    joining = asyncio.create_task(queue.join())
    await queue.get()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joining.done()
    await queue.get()
    queue.task_done()
    await asyncio.wait_for(joining, timeout=1)
    with pytest.raises(ValueError, match="too many"):
        queue.task_done()


def test_a_bounded_queue_is_refused() -> None:
    with pytest.raises(ValueError, match="unbounded"):
        LeanQueue(maxsize=10)
