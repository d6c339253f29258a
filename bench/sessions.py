"""Many Chainlit sessions as socket.io clients in this process, each noting when marked messages arrive.

A benchmark message carries a mark in `metadata.data.bench` (Herald puts an event's `data` there; the
direct bridge does the same), so the arrival of each mark in each session can be timed.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from typing import Any

import aio_pika
import aiohttp

from tests.support.chat_client import ChatTab

Login = Callable[[int], Awaitable[str]]


def bench_mark(step: dict[str, Any]) -> Hashable | None:
    if step.get("type") != "assistant_message":
        return None
    data = (step.get("metadata") or {}).get("data") or {}
    mark: Hashable | None = data.get("bench") if isinstance(data, dict) else None
    return mark


class HeaderLogins:
    """Chainlit's header login (`POST /auth/header`, as behind an SSO proxy) for many users over one
    HTTP client: a client per login (as `tests.support.chat_client` makes) costs more CPU than the login."""

    def __init__(self, base_url: str, header: str = "X-Forwarded-User") -> None:
        self._http = aiohttp.ClientSession(base_url, cookie_jar=aiohttp.DummyCookieJar())
        self._header = header

    async def token(self, user: str) -> str:
        async with self._http.post("/auth/header", headers={self._header: user}) as response:
            response.raise_for_status()
            return response.cookies["access_token"].value

    async def close(self) -> None:
        await self._http.close()


class SessionPool:
    """Sessions of one Chainlit server; `arrivals[mark]` lists when (perf_counter) it reached each session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.tabs: list[ChatTab] = []
        self.arrivals: dict[Hashable, list[float]] = defaultdict(list)
        self._arrival = asyncio.Event()

    def _arrived(self, step: dict[str, Any]) -> None:
        if (mark := bench_mark(step)) is not None:
            self.arrivals[mark].append(time.perf_counter())
            self._arrival.set()

    async def open(self, count: int, login: Login | None = None, concurrency: int = 20) -> list[ChatTab]:
        """Open `count` sessions, `concurrency` at a time; `login(n)` gives session n's token (none: no auth)."""
        window = asyncio.Semaphore(concurrency)

        async def one(n: int) -> ChatTab:
            async with window:
                tab = ChatTab(self.base_url, await login(n) if login else "")

                async def on_new_message(step: dict[str, Any]) -> None:
                    self._arrived(step)

                tab.client.on("new_message", on_new_message)
                await tab.connect()
                self.tabs.append(tab)
                return tab

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def wait_for(self, marks: Sequence[Hashable], copies: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until each mark has reached `copies` sessions, or the time is up (the caller counts what is missing)."""
        deadline = time.monotonic() + timeout
        while any(len(self.arrivals.get(mark, ())) < copies for mark in marks):
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), deadline - time.monotonic())
            except TimeoutError:
                return

    async def close(self, concurrency: int = 50) -> None:
        window = asyncio.Semaphore(concurrency)

        async def one(tab: ChatTab) -> None:
            async with window:
                if tab.client.connected:
                    await tab.disconnect()

        await asyncio.gather(*(one(tab) for tab in self.tabs), return_exceptions=True)
        self.tabs.clear()


async def wait_consumed(amqp_url: str, queues: list[str], timeout: float) -> int:  # noqa: ASYNC109
    """Wait until every queue has a consumer (Herald took up the session); return how many have none."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        waiting = list(queues)
        deadline = time.monotonic() + timeout
        channel = await connection.channel()
        while waiting and time.monotonic() < deadline:
            still = []
            for name in waiting:
                try:
                    queue = await channel.declare_queue(name, passive=True)
                except aio_pika.exceptions.ChannelNotFoundEntity:
                    channel = await connection.channel()  # the failed passive declare closed it
                    still.append(name)
                    continue
                if not queue.declaration_result.consumer_count:
                    still.append(name)
            waiting = still
            if waiting:
                await asyncio.sleep(0.2)
        return len(waiting)


Sender = Callable[[int], Coroutine[Any, Any, None]]


async def paced(rate: float, seconds: float, send: Sender) -> None:
    """Open loop: start `send(n)` at n / rate seconds, whether or not earlier sends have finished."""
    started = time.perf_counter()
    running: set[asyncio.Task[None]] = set()
    for n in range(round(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(n))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
