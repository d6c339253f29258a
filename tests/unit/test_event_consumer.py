"""EventConsumer's ordering, without a broker: aio-pika starts one task per delivery, and the consumer
must hand them to its handler one at a time, in delivery order, and hand back what it did not take."""

from __future__ import annotations

import asyncio
import random
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from services.chat.event_consumer import EventConsumer
from shared.events import Event, EventRequest
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


class FakeMessage:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.outcome: str | None = None

    async def nack(self, requeue: bool = True) -> None:
        self.outcome = "nack"

    async def reject(self, requeue: bool = False) -> None:
        self.outcome = "reject"


class FakeQueue:
    name = "herald.session.test"
    cancelled = False

    async def consume(self, callback: Any) -> str:
        return "tag"

    async def cancel(self, tag: str) -> None:
        self.cancelled = True


def wire(n: int) -> bytes:
    request = EventRequest.model_validate({"id": f"e{n}", "target": {"user": "alice"}, "body": "x"})
    return request.to_event("t").to_wire()


async def test_deliveries_are_handled_one_at_a_time_in_delivery_order() -> None:
    handled: list[str] = []
    busy = 0

    async def handler(event: Event, message: AbstractIncomingMessage) -> None:
        nonlocal busy
        busy += 1
        assert busy == 1, "two deliveries were handled at once"
        # Work of random length, not a wait: later deliveries would overtake without the chain.
        await asyncio.sleep(random.uniform(0, 0.003))
        handled.append(event.id)
        busy -= 1

    consumer = EventConsumer(cast(AbstractQueue, FakeQueue()), handler)
    await consumer.start()
    messages = [FakeMessage(wire(n)) for n in range(30)] + [FakeMessage(b"not an event")]
    await asyncio.gather(*(asyncio.create_task(consumer._on_delivery(cast(AbstractIncomingMessage, m)))
                           for m in messages))
    assert handled == [f"e{n}" for n in range(30)]
    assert messages[-1].outcome == "reject"  # poison is dead-lettered, and does not stop the queue


async def test_stop_lets_the_delivery_in_hand_finish_and_hands_back_the_rest() -> None:
    started, release, handled = asyncio.Event(), asyncio.Event(), []

    async def handler(event: Event, message: AbstractIncomingMessage) -> None:
        started.set()
        await release.wait()
        handled.append(event.id)

    queue = FakeQueue()
    consumer = EventConsumer(cast(AbstractQueue, queue), handler)
    await consumer.start()
    messages = [FakeMessage(wire(n)) for n in range(3)]
    deliveries = [asyncio.create_task(consumer._on_delivery(cast(AbstractIncomingMessage, m))) for m in messages]
    await started.wait()
    stopping = asyncio.create_task(consumer.stop())
    await wait_until(lambda: queue.cancelled, what="the consumer to cancel")
    assert not stopping.done()  # it waits for the delivery in hand
    release.set()
    await stopping
    await asyncio.gather(*deliveries)
    assert handled == ["e0"]
    assert [m.outcome for m in messages] == [None, "nack", "nack"]  # the handler acks e0 itself
