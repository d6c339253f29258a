"""EventConsumer's ordering, without a broker: aio-pika starts one task per delivery, and the consumer
must hand them to its handler one at a time, in delivery order, and hand back what it did not take."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from herald.chat import event_consumer
from herald.chat.dead_letters import DeadLetters
from herald.chat.event_consumer import EventConsumer
from herald.contract.events import Event, EventRequest
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


class FakeMessage:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.message_id = None
        self.outcome: str | None = None

    async def nack(self, requeue: bool = True) -> None:
        self.outcome = "nack"

    async def reject(self, requeue: bool = False) -> None:
        self.outcome = "reject"


class FakeUnderlayChannel:
    """aiormq's channel, as far as a consumer uses it."""

    is_closed = False

    def __init__(self) -> None:
        self.consuming: list[str] = []
        self.cancelled: list[str] = []

    async def basic_consume(self, queue: str, callback: Any) -> Any:
        self.consuming.append(queue)
        return SimpleNamespace(consumer_tag=f"tag{len(self.consuming)}")

    async def basic_cancel(self, tag: str) -> None:
        self.cancelled.append(tag)


class FakeChannel:
    """aio-pika's robust channel: after a reconnect its underlay is a new aiormq channel."""

    def __init__(self) -> None:
        self.underlay = FakeUnderlayChannel()

    async def get_underlay_channel(self) -> FakeUnderlayChannel:
        return self.underlay


class FakeDeadLetters:
    """dead_letters.DeadLetters: records the reason instead of publishing."""

    async def send(self, message: FakeMessage, reason: str) -> None:
        message.outcome = f"dead-lettered: {reason}"


def consumer_on(channel: FakeChannel, handler: Any) -> EventConsumer:
    return EventConsumer(cast(AbstractChannel, channel), "herald.session.test", handler,
                         cast(DeadLetters, FakeDeadLetters()))


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

    consumer = consumer_on(FakeChannel(), handler)
    await consumer.start()
    messages = [FakeMessage(wire(n)) for n in range(30)] + [FakeMessage(b"not an event")]
    await asyncio.gather(*(asyncio.create_task(consumer._on_delivery(cast(AbstractIncomingMessage, m)))
                           for m in messages))
    assert handled == [f"e{n}" for n in range(30)]
    # poison is dead-lettered with the reason, and does not stop the queue
    assert messages[-1].outcome == ("dead-lettered: not a Herald event: the message: "
                                    "Invalid JSON: expected ident at line 1 column 2")


async def test_stop_lets_the_delivery_in_hand_finish_and_hands_back_the_rest() -> None:
    started, release, handled = asyncio.Event(), asyncio.Event(), []

    async def handler(event: Event, message: AbstractIncomingMessage) -> None:
        started.set()
        await release.wait()
        handled.append(event.id)

    channel = FakeChannel()
    consumer = consumer_on(channel, handler)
    await consumer.start()
    messages = [FakeMessage(wire(n)) for n in range(3)]
    deliveries = [asyncio.create_task(consumer._on_delivery(cast(AbstractIncomingMessage, m))) for m in messages]
    await started.wait()
    stopping = asyncio.create_task(consumer.stop())
    await wait_until(lambda: channel.underlay.cancelled == ["tag1"], what="the consumer to cancel")
    assert not stopping.done()  # it waits for the delivery in hand
    release.set()
    await stopping
    await asyncio.gather(*deliveries)
    assert handled == ["e0"]
    assert [m.outcome for m in messages] == [None, "nack", "nack"]  # the handler acks e0 itself


async def test_start_consumes_once_per_channel_and_again_after_a_reconnect() -> None:
    channel = FakeChannel()
    consumer = consumer_on(channel, None)
    await asyncio.gather(consumer.start(), consumer.start())  # a resume racing a connect
    assert channel.underlay.consuming == ["herald.session.test"]
    before = channel.underlay
    channel.underlay = FakeUnderlayChannel()  # aio-pika reopened the channel after a reconnect
    await consumer.start()
    assert channel.underlay.consuming == ["herald.session.test"]
    await consumer.stop()
    assert channel.underlay.cancelled == ["tag1"] and before.cancelled == []
    await consumer.start()  # a resume after the tab left: stays stopped
    assert channel.underlay.consuming == ["herald.session.test"]



async def test_a_failed_delivery_goes_back_to_the_queue_after_a_pause() -> None:
    """The broker hands a requeued delivery straight back: a failure that repeats must not spin."""
    steps: list[str] = []

    async def handler(event: Event, message: AbstractIncomingMessage) -> None:
        raise RuntimeError("the relay failed")

    async def paused(seconds: float) -> None:
        steps.append(f"pause {seconds:g}")

    class Recording(FakeMessage):
        async def nack(self, requeue: bool = True) -> None:
            steps.append(f"nack requeue={requeue}")

    consumer = EventConsumer(cast(AbstractChannel, FakeChannel()), "herald.session.test", handler,
                             cast(DeadLetters, FakeDeadLetters()), pause=paused)
    await consumer.start()
    await consumer._on_delivery(cast(AbstractIncomingMessage, Recording(wire(1))))
    assert steps == [f"pause {event_consumer.RETRY_DELAY_SECONDS:g}", "nack requeue=True"]
    assert event_consumer.RETRY_DELAY_SECONDS >= 0.5
