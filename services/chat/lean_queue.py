"""A queue for the two queues every connected tab holds: engine.io's outgoing packets and uvicorn's
incoming websocket events.

Why by hand: `asyncio.Queue` makes three deques and an `asyncio.Event` (a fourth deque) when it is
created, and CPython allocates a deque's first block up front: 760 bytes each, 3 KB a queue, 6 KB of
every idle tab's memory on a replica, whose queues are empty nearly all the time. This one holds an
item deque only while it holds items, and keeps its few waiters in lists made when needed. With it a
replica holds ~61.5 KiB per idle tab instead of 67.7-67.9 (figure #5 of docs/benchmarks.md).

It is unbounded, which is what both callers ask for, and has the `asyncio.Queue` methods they use,
with the same behaviour: FIFO, `get` waits for an item, a cancelled `get` loses nothing and passes on
a wake-up it did not use, and `join` waits until `task_done` was called for every item put.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

T = TypeVar("T")


class LeanQueue(Generic[T]):
    __slots__ = ("_getters", "_items", "_joiners", "_unfinished")

    def __init__(self, maxsize: int = 0) -> None:
        if maxsize:
            raise ValueError("LeanQueue is unbounded")
        self._items: deque[T] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return False

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._unfinished += 1
        self._wake_a_getter()

    async def put(self, item: T) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._take()

    async def get(self) -> T:
        while not self._items:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._getters:
                    self._getters.remove(waiter)
                elif self._items:
                    self._wake_a_getter()  # woken for an item, then cancelled: another getter takes it
                raise
        return self._take()

    def _take(self) -> T:
        assert self._items
        item = self._items.popleft()
        if not self._items:
            self._items = None  # an idle queue holds no deque
        return item

    def _wake_a_getter(self) -> None:
        while self._getters:
            waiter = self._getters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            for waiter in self._joiners:
                if not waiter.done():
                    waiter.set_result(None)
            self._joiners = None

    async def join(self) -> None:
        if self._unfinished:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(waiter)
            await waiter


class LeanWSProtocol(WSProtocol):
    """uvicorn's wsproto websocket protocol, with its event queue a LeanQueue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]


def lean_engineio_queues(server: Any) -> None:
    """Give each engine.io socket of `server` (an `engineio.AsyncServer`) a LeanQueue for its packets:
    engine.io makes a socket's queue with the server's `create_queue()`, documented as the way to get
    a queue of the right async model."""
    server.create_queue = lambda *_args, **_kwargs: LeanQueue()
