"""What the frame writer (shared/frames.py) buys against the plain library calls, in one process, in
turns: confirmed, persistent, `mandatory` publishes of Herald-sized events to durable queues, each way
keeping the same number in flight, as the notifier's batches and the chat's relays do.

    python -m bench.hacks publish --seconds 2 --rounds 4 --in-flight 32

Ways: `frames` (Herald's FramePublisher), `basic_publish` (aiormq's `Channel.basic_publish`, what
FramePublisher would call instead: same arguments, same confirm) and `exchange.publish` (aio-pika's).
The figures: confirmed publishes per second, and this process's CPU per publish (the broker's work is
the same for every way; the publishing process's is what the writer changes).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import aio_pika
import aiormq
from aiormq import spec

from bench.turns import turn_order
from herald.contract.frames import FramePublisher

WAYS = ("frames", "basic_publish", "exchange.publish")
QUEUES = 10
BODY = b'{"id": "%s", "title": "Benchmark", "body": "A **benchmark** event, about as long as a short notification."}'

Publish = Callable[[bytes, str, spec.Basic.Properties], Awaitable[object]]


async def _stretch(publish: Publish, queues: list[str], seconds: float, in_flight: int) -> dict[str, float]:
    count = 0
    deadline = time.perf_counter() + seconds

    async def publisher(offset: int) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            message_id = uuid.uuid4().hex
            properties = spec.Basic.Properties(content_type="application/json", delivery_mode=2,
                                               message_id=message_id, timestamp=datetime.now(UTC),
                                               message_type="herald.event.v1")
            await publish(BODY % message_id.encode(), queues[(count + offset) % len(queues)], properties)
            count += 1

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(publisher(offset) for offset in range(in_flight)))
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    return {"per_second": round(count / elapsed), "cpu_us_per_publish": round(used / count * 1e6, 1)}


async def measure(url: str, seconds: float, rounds: int, in_flight: int) -> dict[str, list[dict[str, float]]]:
    connection = await aio_pika.connect(url, client_properties={"connection_name": "bench-publish-ab"})
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queues = [(await channel.declare_queue(f"bench.publish.{uuid.uuid4().hex[:8]}", durable=True)).name
                  for _ in range(QUEUES)]
        underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
        frames = FramePublisher()

        async def by_frames(body: bytes, queue: str, properties: spec.Basic.Properties) -> None:
            await frames.publish(underlay, body, exchange="", routing_key=queue, properties=properties,
                                        mandatory=True)

        async def by_basic_publish(body: bytes, queue: str, properties: spec.Basic.Properties) -> object:
            return await underlay.basic_publish(body, exchange="", routing_key=queue, properties=properties,
                                                mandatory=True)

        async def by_exchange(body: bytes, queue: str, properties: spec.Basic.Properties) -> object:
            message = aio_pika.Message(body, content_type=properties.content_type,
                                       delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                       message_id=properties.message_id, timestamp=properties.timestamp,
                                       type=properties.message_type)
            return await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)

        ways: dict[str, Publish] = {"frames": by_frames, "basic_publish": by_basic_publish,
                                    "exchange.publish": by_exchange}
        results: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
        for way in WAYS:  # warm-up, not counted
            await _stretch(ways[way], queues, 0.5, in_flight)
        for way in turn_order(list(WAYS), rounds):
            results[way].append(await _stretch(ways[way], queues, seconds, in_flight))
            print(f"{way}: {results[way][-1]}", flush=True)
            for name in queues:  # every stretch starts from empty queues
                await (await channel.get_queue(name, ensure=False)).purge()
        return results
