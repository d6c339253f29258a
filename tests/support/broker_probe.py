"""Looking into the broker from a test: queue consumers, existence, dead letters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractQueue

from herald.contract.topology import DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, REASON_HEADER


async def dead_letter_reasons(amqp_url: str) -> dict[str, str]:
    """Event id -> why it was dead-lettered, for everything in the dead-letter queue (left in place:
    the messages are read unacknowledged and return to the queue when the connection closes)."""
    connection = await aio_pika.connect(amqp_url)
    reasons = {}
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(DEAD_LETTER_QUEUE, passive=True)
        while (message := await queue.get(fail=False, no_ack=False)) is not None:
            headers = message.headers or {}
            deaths = headers.get("x-death") or [{}]
            reason = headers.get(REASON_HEADER) or deaths[0].get("reason")  # type: ignore[index,union-attr]
            reasons[str(message.message_id)] = str(reason)
    return reasons


async def consumer_count(amqp_url: str, queue: str) -> int | None:
    """How many consumers `queue` has; None when it does not exist."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return None
    return int(declared.declaration_result.consumer_count)


async def queue_exists(amqp_url: str, queue: str) -> bool:
    return await consumer_count(amqp_url, queue) is not None


async def queued_ids(amqp_url: str, queue: str) -> list[str]:
    """The message ids waiting in `queue`, in order (left in place, as `dead_letter_reasons` does)."""
    connection = await aio_pika.connect(amqp_url)
    ids = []
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        while (message := await declared.get(fail=False, no_ack=False)) is not None:
            ids.append(str(message.message_id))
    return ids


@dataclass
class Sink:
    """A queue of a test's own beside Herald's: what reached the broker, each publish counted once."""

    queue: AbstractQueue
    ids: list[str] = field(default_factory=list)

    async def take(self) -> list[str]:
        """The message id of every event routed to the sink so far, in order, repeats included."""
        while (message := await self.queue.get(fail=False, no_ack=True)) is not None:
            self.ids.append(str(message.message_id))
        return self.ids


@asynccontextmanager
async def sink(amqp_url: str, routing_key: str) -> AsyncIterator[Sink]:
    """A sink bound to `herald.events` with `routing_key`, gone with its connection. Bind it only where
    Herald's own queue already takes the key: a user event routed to the sink alone would not be
    returned, and the notifier would not declare the user's inbox."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(EVENTS_EXCHANGE, routing_key)
        yield Sink(queue)
