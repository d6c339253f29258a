"""Both services' publishing path (shared/frames.py) against a real broker: every outcome of a
confirmed publish reaches the right caller, however many publishes share a loop turn and a socket write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import cast

import aio_pika
import aiormq
import pytest
from aio_pika.exceptions import DeliveryError, PublishError
from aiormq import spec

from herald.contract.frames import ChannelClosed, FramePublisher, MessageIdInFlight

pytestmark = pytest.mark.integration


@pytest.fixture
async def confirming(amqp_url: str) -> AsyncIterator[tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        yield channel, cast(aiormq.Channel, await channel.get_underlay_channel())


def _properties(n: int) -> spec.Basic.Properties:
    return spec.Basic.Properties(delivery_mode=2, message_id=f"m{n}-{uuid.uuid4().hex}")


async def test_concurrent_publishes_are_all_confirmed_and_queued_in_order(
        confirming: tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]) -> None:
    channel, underlay = confirming
    queue = await channel.declare_queue(f"frames.{uuid.uuid4().hex}", durable=True)
    frames = FramePublisher()
    # 300 publishes in one loop turn, some bodies bigger than a frame: they go out as one chunk.
    bodies = [str(n).encode() * (1 + (n % 3) * 70_000) for n in range(300)]
    await asyncio.gather(*(frames.publish(underlay, body, exchange="", routing_key=queue.name,
                                          properties=_properties(n), mandatory=True)
                           for n, body in enumerate(bodies)))
    received = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        received.append(message.body)
    assert received == bodies


async def test_a_returned_mandatory_publish_raises_for_its_caller_only(
        confirming: tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]) -> None:
    channel, underlay = confirming
    queue = await channel.declare_queue(f"frames.{uuid.uuid4().hex}", durable=True)
    frames = FramePublisher()
    routed, unroutable = await asyncio.gather(
        frames.publish(underlay, b"kept", exchange="", routing_key=queue.name, properties=_properties(1),
                       mandatory=True),
        frames.publish(underlay, b"lost", exchange="", routing_key=f"nobody.{uuid.uuid4().hex}",
                       properties=_properties(2), mandatory=True),
        return_exceptions=True)
    assert routed is None
    assert isinstance(unroutable, PublishError)


async def test_a_nack_from_a_full_queue_raises(
        confirming: tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]) -> None:
    channel, underlay = confirming
    queue = await channel.declare_queue(f"frames.{uuid.uuid4().hex}", durable=True,
                                        arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    frames = FramePublisher()
    await frames.publish(underlay, b"first", exchange="", routing_key=queue.name, properties=_properties(1),
                         mandatory=True)
    with pytest.raises(DeliveryError):
        await frames.publish(underlay, b"second", exchange="", routing_key=queue.name, properties=_properties(2),
                             mandatory=True)


async def test_publishes_in_flight_when_the_channel_closes_fail_and_are_not_cancelled(
        confirming: tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]) -> None:
    channel, underlay = confirming
    queue = await channel.declare_queue(f"frames.{uuid.uuid4().hex}", durable=True)
    frames = FramePublisher()
    publishes = [frames.publish(underlay, b"x", exchange="", routing_key=queue.name, properties=_properties(n),
                                mandatory=True) for n in range(50)]
    # A publish to a missing exchange makes the broker close the channel.
    publishes.append(frames.publish(underlay, b"x", exchange=f"missing.{uuid.uuid4().hex}", routing_key="k",
                                    properties=_properties(99), mandatory=True))
    async with asyncio.timeout(10):
        outcomes = await asyncio.gather(*publishes, return_exceptions=True)
    assert not any(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
    assert isinstance(outcomes[-1], (ChannelClosed, aiormq.exceptions.AMQPError))
    with pytest.raises(ChannelClosed):
        await frames.publish(underlay, b"x", exchange="", routing_key=queue.name, properties=_properties(100),
                             mandatory=True)


async def test_a_mandatory_publish_needs_a_message_id_no_publish_in_flight_has(
        confirming: tuple[aio_pika.abc.AbstractChannel, aiormq.Channel]) -> None:
    """aiormq matches a returned message to its publish by message id: a shared or missing id would let
    a return fail the wrong caller, and count an undelivered message as confirmed."""
    channel, underlay = confirming
    queue = await channel.declare_queue(f"frames.{uuid.uuid4().hex}", durable=True)
    frames = FramePublisher()
    shared_id = _properties(1)
    first, second = await asyncio.gather(  # the second is sent while the first awaits its confirm
        frames.publish(underlay, b"first", exchange="", routing_key=queue.name, properties=shared_id,
                       mandatory=True),
        frames.publish(underlay, b"second", exchange="", routing_key=queue.name, properties=shared_id,
                       mandatory=True),
        return_exceptions=True)
    assert first is None
    assert isinstance(second, MessageIdInFlight)
    with pytest.raises(ValueError, match="needs a message id"):
        await frames.publish(underlay, b"anonymous", exchange="", routing_key=queue.name,
                             properties=spec.Basic.Properties(delivery_mode=2), mandatory=True)
    # Once confirmed, the id is free again, and neither refused publish reached the queue.
    await frames.publish(underlay, b"again", exchange="", routing_key=queue.name, properties=shared_id, mandatory=True)
    received = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        received.append(message.body)
    assert received == [b"first", b"again"]
