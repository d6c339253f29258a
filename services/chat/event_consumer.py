"""Consuming one queue of events in order, decoding each in one place.

aio-pika runs every delivery callback as a task of its own, so a queue's events could otherwise be
rendered out of order. Herald needs publish order per user, so each queue feeds one worker, which
hands the handler a decoded event. A message that is not a valid event is rejected (dead-lettered):
poison never blocks a queue.
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
        self._pending: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self._tag: str | None = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name=f"herald-consume-{self.queue.name}")
        self._tag = await self.queue.consume(self._on_delivery)

    async def _on_delivery(self, message: AbstractIncomingMessage) -> None:
        # Each delivery's task starts in delivery order; queueing before any await keeps that order.
        self._pending.put_nowait(message)

    async def _work(self) -> None:
        while (message := await self._pending.get()) is not None:
            try:
                event = Event.from_wire(message.body)
            except ValidationError as exc:
                log.error("dead-lettering an undecodable message from %s: %s", self.queue.name, exc)
                await message.reject(requeue=False)
                continue
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
        while not self._pending.empty():
            if (message := self._pending.get_nowait()) is not None:
                await message.nack(requeue=True)
        # Let the delivery in hand finish: cancelling mid-handling could leave it unacked for good.
        if self._worker is not None:
            self._pending.put_nowait(None)
            await self._worker
            self._worker = None
