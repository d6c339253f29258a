"""Figures 4 and 5 on one fresh chat replica: the memory an idle connected session costs, then how long a
broadcast takes to render in every one of those sessions."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.cpu import cpu_seconds
from bench.sessions import HeaderLogins, SessionPool, wait_consumed
from herald.contract.topology import inbox_queue_name, session_queue_name

SETTLE_SECONDS = 1.0
WAIT_SECONDS = 10.0  # for a broadcast to reach every session
CONNECTING = 50  # sessions opening at once


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class FanoutRun:
    sessions: int  # all of them; the first one connects before the memory baseline
    not_taken_up: int = 0  # sessions whose queue Herald had not consumed in time
    rss_before: int = 0
    rss_after: int = 0
    connect_seconds: float = 0
    last_ms: list[float] = field(default_factory=list)  # per broadcast: until the last session rendered it
    arrivals_ms: list[float] = field(default_factory=list)  # every session's, every broadcast
    incomplete: int = 0  # broadcasts some session never showed within the timeout
    # CPU seconds while connecting and while broadcasting: the chat replica's, and this process's
    # (the clients'), to tell which of them a figure measures on two cores.
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def measured_sessions(self) -> int:
        return self.sessions - 1

    @property
    def bytes_per_session(self) -> float:
        return (self.rss_after - self.rss_before) / self.measured_sessions


async def fanout(chat_url: str, chat_pid: int, notifier_url: str, api_key: str, amqp_url: str, *, sessions: int,
                 broadcasts: int, tag: str) -> FanoutRun:
    users = [f"bench-fan-{tag}-{n}" for n in range(sessions)]
    pool, logins = SessionPool(chat_url), HeaderLogins(chat_url)
    run = FanoutRun(sessions)
    try:
        # One session first, so that what the first connect loads for good is not counted per session.
        [first] = await pool.open(1, lambda _: logins.token(users[0]))
        await wait_consumed(amqp_url, [session_queue_name(first.session_id)], timeout=30)
        await asyncio.sleep(SETTLE_SECONDS)
        run.rss_before = rss_bytes(chat_pid)
        started, cpu = time.perf_counter(), _cpu(chat_pid)
        tabs = await pool.open(sessions - 1, lambda n: logins.token(users[n + 1]), concurrency=CONNECTING)
        queues = [session_queue_name(tab.session_id) for tab in tabs] + [inbox_queue_name(u) for u in users[1:]]
        run.not_taken_up = await wait_consumed(amqp_url, queues, timeout=120)
        run.connect_seconds = time.perf_counter() - started
        run.cpu["connecting"] = _cpu(chat_pid, since=cpu)
        await asyncio.sleep(SETTLE_SECONDS)
        run.rss_after = rss_bytes(chat_pid)
        cpu = _cpu(chat_pid)
        await _broadcast(pool, run, notifier_url, api_key, broadcasts, tag, sessions)
        run.cpu["broadcasting"] = _cpu(chat_pid, since=cpu)
    finally:
        await pool.close()
        await logins.close()
    return run


def _cpu(chat_pid: int, since: dict[str, float] | None = None) -> dict[str, float]:
    own = os.times()
    now = {"chat": cpu_seconds(chat_pid), "clients": own.user + own.system}
    return {name: round(value - (since or {}).get(name, 0), 2) for name, value in now.items()}


async def _broadcast(pool: SessionPool, run: FanoutRun, notifier_url: str, api_key: str, broadcasts: int,
                     tag: str, copies: int) -> None:
    async with aiohttp.ClientSession(notifier_url, headers={"Authorization": f"Bearer {api_key}"}) as http:
        for n in range(broadcasts):
            mark = f"broadcast-{tag}-{n}"
            event = {"target": {"broadcast": True}, "title": "Benchmark", "body": f"Broadcast {n}",
                     "data": {"bench": mark}}
            started = time.perf_counter()
            async with http.post("/v1/events", json=event) as response:
                await response.read()
                if response.status != 202:
                    raise RuntimeError(f"the broadcast was answered {response.status}: {await response.text()}")
            await pool.wait_for([mark], copies, timeout=WAIT_SECONDS)
            arrivals = [(t - started) * 1000 for t in pool.arrivals.get(mark, [])]
            if len(arrivals) < copies:
                run.incomplete += 1
            run.arrivals_ms.extend(arrivals)
            run.last_ms.append(max(arrivals) if len(arrivals) == copies else WAIT_SECONDS * 1000)  # at least
            await asyncio.sleep(0.3)  # let the replica idle between broadcasts
