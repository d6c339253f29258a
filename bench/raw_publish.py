"""The ceiling of figure 2: raw aio-pika publishing with confirms from one process, the notifier's way
(same wire bytes, message properties, exchange and routing keys, `mandatory`), minus everything else.

Two ways, and the ceiling is the better one: aio-pika's `Exchange.publish`, whose publishes take turns
through the connection's writer, and its underlying aiormq channel's `basic_publish(wait=False)`,
whose publishes only wait for their confirms (the notifier publishes this way).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import cast

import aio_pika
import aiormq
from aiormq import spec

from bench.broker_ops import bench_users
from herald.contract.events import EventRequest
from herald.contract.topology import EVENTS_EXCHANGE, user_routing_key

WAYS = ("exchange.publish", "basic_publish(wait=False)")


async def publish_for(url: str, way: str, seconds: float, in_flight: int, users: int,
                      prefix: str) -> tuple[int, float]:
    """Publish for `seconds` keeping `in_flight` publishes awaiting their confirms; return (confirmed, seconds)."""
    events = [EventRequest.model_validate({
        "target": {"user": user}, "title": "Benchmark",
        "body": "A **benchmark** event, about as long as a short notification.",
    }).to_event(source="bench", now=datetime.now(UTC)) for user in bench_users(prefix, users)]
    # Raw: the bytes and properties are ready before the clock starts.
    messages = [(event.to_wire(), user_routing_key(user), spec.Basic.Properties(
        content_type="application/json", delivery_mode=2, message_id=event.id, timestamp=event.created_at,
        message_type="herald.event.v1")) for event, user in zip(events, bench_users(prefix, users), strict=True)]
    connection = await aio_pika.connect(url, client_properties={"connection_name": "bench-raw-publisher"})
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE, ensure=False)
        underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
        confirmed = 0
        started = time.perf_counter()
        deadline = started + seconds

        async def publisher(offset: int) -> None:
            nonlocal confirmed
            n = offset
            while time.perf_counter() < deadline:
                body, routing_key, properties = messages[n % len(messages)]
                if way == WAYS[0]:
                    await exchange.publish(aio_pika.Message(
                        body, content_type=properties.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=properties.message_id, timestamp=properties.timestamp, type="herald.event.v1",
                    ), routing_key=routing_key, mandatory=True)
                else:
                    await underlay.basic_publish(body, exchange=EVENTS_EXCHANGE, routing_key=routing_key,
                                                 properties=properties, mandatory=True, wait=False)
                confirmed += 1
                n += in_flight

        await asyncio.gather(*(publisher(offset) for offset in range(in_flight)))
        return confirmed, time.perf_counter() - started
