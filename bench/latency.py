"""Figure 3: end-to-end latency at a fixed rate, from the POST (or the raw publish) to `new_message`
in a socket.io client, for Herald and for the direct bridge, over the same number of sessions."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import aio_pika
import aiohttp
import aiormq

from bench.sessions import HeaderLogins, SessionPool, paced, wait_consumed
from shared.topology import inbox_queue_name, session_queue_name
from tests.support.chat_client import ChatTab

DRAIN_SECONDS = 5.0  # after the last send, for the last events to arrive
PROBE_SECONDS = 30.0  # for every bridge session to take its first message


@dataclass(frozen=True)
class Load:
    rate: float
    seconds: float
    warmup_seconds: float
    sessions: int

    @property
    def warmup(self) -> int:
        """Marks below this are the warm-up's, left out of the figures."""
        return round(self.rate * self.warmup_seconds)


@dataclass
class LatencyRun:
    # One per event sent after the warm-up. An event that never arrived counts with the time it was
    # waited for, so that the percentiles of an overloaded run are lower bounds, not flattering.
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    missing: int = 0
    refused: int = 0  # POSTs not answered 202
    post_ms: list[float] = field(default_factory=list)  # how long the 202 took, for Herald


def _collect(run: LatencyRun, pool: SessionPool, sent_at: dict[int, float], load: Load) -> LatencyRun:
    given_up = time.perf_counter()
    for mark, started in sent_at.items():
        if mark < load.warmup:
            continue
        run.sent += 1
        if arrivals := pool.arrivals.get(mark):
            run.latencies_ms.append((arrivals[0] - started) * 1000)
        else:
            run.missing += 1
            run.latencies_ms.append((given_up - started) * 1000)
    return run


async def herald(chat_url: str, notifier_url: str, api_key: str, amqp_url: str, load: Load, tag: str) -> LatencyRun:
    """User events (`{"user": U}`), one session per user, so each travels inbox -> relay -> session queue."""
    users = [f"bench-lat-{tag}-{n}" for n in range(load.sessions)]
    pool, logins = SessionPool(chat_url), HeaderLogins(chat_url)
    run = LatencyRun()
    try:
        tabs = await pool.open(len(users), lambda n: logins.token(users[n]))
        queues = [session_queue_name(tab.session_id) for tab in tabs] + [inbox_queue_name(user) for user in users]
        await wait_consumed(amqp_url, queues, timeout=60)
        sent_at: dict[int, float] = {}
        headers = {"Authorization": f"Bearer {api_key}"}
        async with aiohttp.ClientSession(notifier_url, headers=headers,
                                         connector=aiohttp.TCPConnector(limit=64)) as http:

            async def send(mark: int) -> None:
                event = {"target": {"user": users[mark % len(users)]}, "title": "Benchmark",
                         "body": f"Benchmark event {mark}", "data": {"bench": mark}}
                sent_at[mark] = started = time.perf_counter()
                async with http.post("/v1/events", json=event) as response:
                    await response.read()
                    if response.status != 202:
                        run.refused += 1
                run.post_ms.append((time.perf_counter() - started) * 1000)

            await paced(load.rate, load.warmup_seconds + load.seconds, send)
        await pool.wait_for(list(sent_at), copies=1, timeout=DRAIN_SECONDS)
        return _collect(run, pool, sent_at, load)
    finally:
        await pool.close()
        await logins.close()


async def bridge(bridge_url: str, amqp_url: str, queue: str, load: Load) -> LatencyRun:
    """The same load through the direct bridge, fed by confirmed raw aio-pika publishes."""
    pool = SessionPool(bridge_url)
    tabs = await pool.open(load.sessions)  # the bridge has no login
    run = LatencyRun()
    try:
        connection = await aio_pika.connect(amqp_url, client_properties={"connection_name": "bench-bridge-feed"})
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            await channel.declare_queue(queue, durable=True)
            # As the notifier publishes: Exchange.publish would make the feed itself a queue (see bench.raw_publish).
            feed = cast(aiormq.Channel, await channel.get_underlay_channel())
            persistent = aiormq.spec.Basic.Properties(delivery_mode=2)
            sent_at: dict[int, float] = {}

            async def publish(tab: ChatTab, mark: int | str) -> None:
                payload: dict[str, Any] = {"session": tab.session_id, "bench": mark,
                                           "content": f"ℹ️ **Info · Benchmark**\n\nBenchmark event {mark}"}  # noqa: RUF001
                await feed.basic_publish(json.dumps(payload).encode(), routing_key=queue, properties=persistent,
                                         wait=False)

            async def send(mark: int) -> None:
                sent_at[mark] = time.perf_counter()
                await publish(tabs[mark % len(tabs)], mark)

            await _reach_every_session(pool, tabs, publish)
            await paced(load.rate, load.warmup_seconds + load.seconds, send)
            await pool.wait_for(list(sent_at), copies=1, timeout=DRAIN_SECONDS)
        return _collect(run, pool, sent_at, load)
    finally:
        await pool.close()


async def _reach_every_session(pool: SessionPool, tabs: list[ChatTab],
                               publish: Callable[[ChatTab, int | str], Awaitable[None]]) -> None:
    """Send each session a probe until it arrives. The bridge drops a message for a session it does not
    know yet, and Chainlit registers a session in its connect handler, which can still be running when
    the client's connect has returned."""
    deadline = time.monotonic() + PROBE_SECONDS
    waiting = {f"probe-{n}": tab for n, tab in enumerate(tabs)}
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} of {len(tabs)} bridge sessions never got a message")
        for mark, tab in waiting.items():
            await publish(tab, mark)
        await pool.wait_for(list(waiting), copies=1, timeout=1.0)
        waiting = {mark: tab for mark, tab in waiting.items() if mark not in pool.arrivals}
