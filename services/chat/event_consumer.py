"""Consuming one queue of events in order, decoding each in one place.

aio-pika runs every delivery callback as a task of its own, so a queue's events could otherwise be
rendered out of order. Herald needs publish order per user, so each delivery waits for the one before
it to be handled: the deliveries of a queue form a chain of futures. An idle consumer holds no task and
no queue (a replica has one consumer per connected tab and one per user; a worker task and an
asyncio.Queue each were 3 KiB of every idle tab's memory). A message that is not a valid event is
rejected (dead-lettered): poison never blocks a queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from pydantic import ValidationError

from shared.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event, AbstractIncomingMessage], Awaitable[None]]


class EventConsumer:
    def __init__(self, queue: AbstractQueue, handler: Handler) -> None:
        self.queue = queue
        self._handler = handler
        self._tag: str | None = None
        self._last: asyncio.Future[None] | None = None  # resolves when the latest delivery is handled
        self._stopping = False

    async def start(self) -> None:
        self._tag = await self.queue.consume(self._on_delivery)

    async def _on_delivery(self, message: AbstractIncomingMessage) -> None:
        # Each delivery's task starts in delivery order; taking a place in the chain before any await
        # keeps that order.
        before, mine = self._last, asyncio.get_running_loop().create_future()
        self._last = mine
        try:
            if before is not None:
                await before
            if self._stopping:
                await message.nack(requeue=True)  # back to the queue, in order
            else:
                await self._handle(message)
        finally:
            mine.set_result(None)
            if self._last is mine:
                self._last = None

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            event = Event.from_wire(message.body)
        except ValidationError as exc:
            log.error("dead-lettering an undecodable message from %s: %s", self.queue.name, exc)
            await message.reject(requeue=False)
            return
        try:
            await self._handler(event, message)
        except Exception:
            log.exception("handling a delivery from %s failed; it goes back to the queue", self.queue.name)
            await message.nack(requeue=True)

    async def stop(self) -> None:
        """Stop consuming; deliveries not yet handled go back to the queue, in order."""
        if self._tag is not None:
            await self.queue.cancel(self._tag)
            self._tag = None
        self._stopping = True
        # Let the delivery in hand finish: cancelling mid-handling could leave it unacked for good.
        while (last := self._last) is not None:
            await asyncio.shield(last)
