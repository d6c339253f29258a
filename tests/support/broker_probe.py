"""Looking into the broker from a test: queue consumers, existence, dead letters."""

from __future__ import annotations

import aio_pika

from shared.topology import DEAD_LETTER_QUEUE, REASON_HEADER


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
