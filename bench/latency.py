"""Figure 3: end-to-end latency at a fixed rate, from the POST (or the raw publish) to `new_message`
in a socket.io client, for Herald and for the direct bridge, over the same number of sessions.

Both have their sessions open throughout and take turns (bench.turns says why): each is warmed up,
then they run in rounds, every other round in reverse order. A round waits for its events to arrive
before the other side's starts, so the two loads never overlap.
"""

from __future__ import annotations

import json
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, cast

import aio_pika
import aiohttp
import aiormq

from bench.cpu import cpu_share
from bench.report import percentile
from bench.sessions import HeaderLogins, SessionPool, paced, wait_consumed
from bench.turns import turn_order
from herald.contract.topology import inbox_queue_name, session_queue_name
from tests.support.chat_client import ChatTab

DRAIN_SECONDS = 5.0  # after a stretch's last send, for its last events to arrive
PROBE_SECONDS = 30.0  # for every bridge session to take its first message


@dataclass(frozen=True)
class Load:
    rate: float
    seconds: float  # counted, over all rounds
    warmup_seconds: float
    sessions: int
    rounds: int


@dataclass
class LatencyRun:
    # One per counted event. An event that never arrived counts with the time it was waited for, so
    # that the percentiles of an overloaded run are lower bounds, not flattering.
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    missing: int = 0
    refused: int = 0  # POSTs not answered 202
    post_ms: list[float] = field(default_factory=list)  # how long the 202 took, for Herald
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by process, in the counted rounds
    seconds: float = 0.0  # the counted rounds' wall time, their drains included
    rounds: list[dict[str, float]] = field(default_factory=list)  # each round's p50 and p99 (ms)


class Side:
    """One end-to-end path with its sessions open: `send(mark)` starts one event towards a session."""

    pool: SessionPool

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids  # the processes it costs, for the CPU shares
        self.sent_at: dict[int, float] = {}
        self.post_ms: dict[int, float] = {}  # how long each POST took to its 202 (Herald only)
        self.refused: set[int] = set()

    async def send(self, mark: int) -> None:
        raise NotImplementedError


class Herald(Side):
    """User events (`{"user": U}`), one session per user, so each travels inbox -> relay -> session queue."""

    async def open(self, exits: AsyncExitStack, chat_url: str, notifier_url: str, api_key: str, amqp_url: str,
                   sessions: int, tag: str) -> Herald:
        self._users = [f"bench-lat-{tag}-{n}" for n in range(sessions)]
        self.pool, logins = SessionPool(chat_url), HeaderLogins(chat_url)
        exits.push_async_callback(logins.close)
        exits.push_async_callback(self.pool.close)
        tabs = await self.pool.open(sessions, lambda n: logins.token(self._users[n]))
        queues = [session_queue_name(tab.session_id) for tab in tabs] + [inbox_queue_name(u) for u in self._users]
        await wait_consumed(amqp_url, queues, timeout=60)
        self._http = await exits.enter_async_context(aiohttp.ClientSession(
            notifier_url, headers={"Authorization": f"Bearer {api_key}"}, connector=aiohttp.TCPConnector(limit=64)))
        return self

    async def send(self, mark: int) -> None:
        event = {"target": {"user": self._users[mark % len(self._users)]}, "title": "Benchmark",
                 "body": f"Benchmark event {mark}", "data": {"bench": mark}}
        self.sent_at[mark] = started = time.perf_counter()
        async with self._http.post("/v1/events", json=event) as response:
            await response.read()
            if response.status != 202:
                self.refused.add(mark)
        self.post_ms[mark] = (time.perf_counter() - started) * 1000


class Bridge(Side):
    """The same load through the direct bridge, fed by confirmed raw aio-pika publishes."""

    async def open(self, exits: AsyncExitStack, bridge_url: str, amqp_url: str, queue: str, sessions: int) -> Bridge:
        self.pool = SessionPool(bridge_url)
        exits.push_async_callback(self.pool.close)
        self._tabs = await self.pool.open(sessions)  # the bridge has no login
        connection = await exits.enter_async_context(
            await aio_pika.connect(amqp_url, client_properties={"connection_name": "bench-bridge-feed"}))
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True)
        # As the notifier publishes: Exchange.publish would make the feed itself a queue (see bench.raw_publish).
        self._feed = cast(aiormq.Channel, await channel.get_underlay_channel())
        self._queue = queue
        await self._reach_every_session()
        return self

    async def _publish(self, tab: ChatTab, mark: int | str) -> None:
        payload: dict[str, Any] = {"session": tab.session_id, "bench": mark,
                                   "content": f"ℹ️ **Info · Benchmark**\n\nBenchmark event {mark}"}  # noqa: RUF001
        await self._feed.basic_publish(json.dumps(payload).encode(), routing_key=self._queue,
                                       properties=aiormq.spec.Basic.Properties(delivery_mode=2), wait=False)

    async def send(self, mark: int) -> None:
        self.sent_at[mark] = time.perf_counter()
        await self._publish(self._tabs[mark % len(self._tabs)], mark)

    async def _reach_every_session(self) -> None:
        """Send each session a probe until it arrives. The bridge drops a message for a session it does
        not know yet, and Chainlit registers a session in its connect handler, which can still be running
        when the client's connect has returned."""
        deadline = time.monotonic() + PROBE_SECONDS
        waiting = {f"probe-{n}": tab for n, tab in enumerate(self._tabs)}
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(waiting)} of {len(self._tabs)} bridge sessions never got a message")
            for mark, tab in waiting.items():
                await self._publish(tab, mark)
            await self.pool.wait_for(list(waiting), copies=1, timeout=1.0)
            waiting = {mark: tab for mark, tab in waiting.items() if mark not in self.pool.arrivals}


async def in_turns(sides: dict[str, Side], load: Load) -> dict[str, LatencyRun]:
    """Warm each side up, then run them in turns; each side's run holds its counted rounds."""
    runs = {name: LatencyRun() for name in sides}
    next_mark = dict.fromkeys(sides, 0)

    async def stretch(name: str, seconds: float) -> list[int]:
        side, first = sides[name], next_mark[name]
        await paced(load.rate, seconds, lambda n: side.send(first + n))
        marks = list(range(first, first + round(load.rate * seconds)))
        next_mark[name] += len(marks)
        await side.pool.wait_for(marks, copies=1, timeout=DRAIN_SECONDS)
        return marks

    for name in sides:
        await stretch(name, load.warmup_seconds)  # not counted
    for name in turn_order(list(sides), load.rounds):
        used: dict[str, float] = {}
        started = time.perf_counter()
        with cpu_share(sides[name].pids, used):
            marks = await stretch(name, load.seconds / load.rounds)
        _count(runs[name], sides[name], marks, used, time.perf_counter() - started)
    return runs


def _count(run: LatencyRun, side: Side, marks: list[int], used: dict[str, float], seconds: float) -> None:
    given_up = time.perf_counter()
    before = len(run.latencies_ms)
    for mark in marks:
        run.sent += 1
        started = side.sent_at[mark]
        if arrivals := side.pool.arrivals.get(mark):
            run.latencies_ms.append((arrivals[0] - started) * 1000)
        else:
            run.missing += 1
            run.latencies_ms.append((given_up - started) * 1000)
        run.refused += mark in side.refused
        if mark in side.post_ms:
            run.post_ms.append(side.post_ms[mark])
    this_round = run.latencies_ms[before:]
    run.rounds.append({f"p{p}": round(percentile(this_round, p), 3) for p in (50, 99)})
    for name, spent in used.items():
        run.cpu_seconds[name] = run.cpu_seconds.get(name, 0.0) + spent
    run.seconds += seconds


async def herald_and_bridge(chat_url: str, notifier_url: str, api_key: str, bridge_url: str, amqp_url: str,
                            queue: str, load: Load, tag: str, herald_pids: dict[str, int],
                            bridge_pids: dict[str, int]) -> tuple[LatencyRun, LatencyRun]:
    async with AsyncExitStack() as exits:
        herald = await Herald(herald_pids).open(exits, chat_url, notifier_url, api_key, amqp_url, load.sessions, tag)
        bridge = await Bridge(bridge_pids).open(exits, bridge_url, amqp_url, queue, load.sessions)
        runs = await in_turns({"herald": herald, "bridge": bridge}, load)
    return runs["herald"], runs["bridge"]
