"""Consuming the inboxes of the users who have a connected session on this chat instance.

One channel carries every inbox consumer. Each inbox feeds its own worker, which handles that
user's events one at a time, so a user sees their events in publish order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from shared.topology import InboxArguments, declare_inbox

log = logging.getLogger(__name__)

Handler = Callable[[str, AbstractIncomingMessage], Awaitable[None]]


class _UserInbox:
    def __init__(self, user: str, queue: AbstractQueue, handler: Handler) -> None:
        self.user = user
        self.queue = queue
        self.pending: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self.tag: str | None = None
        self.worker = asyncio.create_task(self._work(handler), name=f"herald-inbox-{user}")

    async def on_delivery(self, message: AbstractIncomingMessage) -> None:
        # aio-pika runs each delivery in its own task; queueing before any await keeps the order.
        self.pending.put_nowait(message)

    async def _work(self, handler: Handler) -> None:
        while (message := await self.pending.get()) is not None:
            try:
                await handler(self.user, message)
            except Exception:
                log.exception("handling an event for %s failed; it goes back to the inbox", self.user)
                await message.nack(requeue=True)

    async def stop(self) -> None:
        if self.tag is not None:
            await self.queue.cancel(self.tag)
        # Deliveries this worker never handled go back to the inbox, in order, for the next consumer.
        while not self.pending.empty():
            if (message := self.pending.get_nowait()) is not None:
                await message.nack(requeue=True)
        # Let the event in hand finish: cancelling mid-handling could leave it unacked for good.
        self.pending.put_nowait(None)
        await self.worker


class InboxConsumers:
    def __init__(self, channel: AbstractChannel, arguments: InboxArguments, handler: Handler) -> None:
        self._channel = channel
        self._arguments = arguments
        self._handler = handler
        self._inboxes: dict[str, _UserInbox] = {}
        self._lock = asyncio.Lock()

    async def start(self, user: str) -> None:
        async with self._lock:
            if user in self._inboxes:
                return
            queue = await declare_inbox(self._channel, user, self._arguments)
            inbox = self._inboxes[user] = _UserInbox(user, queue, self._handler)
            inbox.tag = await queue.consume(inbox.on_delivery)

    async def stop(self, user: str) -> None:
        async with self._lock:
            inbox = self._inboxes.pop(user, None)
            if inbox is not None:
                await inbox.stop()

    async def stop_all(self) -> None:
        for user in list(self._inboxes):
            await self.stop(user)

    @property
    def users(self) -> set[str]:
        return set(self._inboxes)
