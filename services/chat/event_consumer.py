"""Consuming one queue of events in order, decoding each in one place.

The consumer sits on aiormq's channel under aio-pika's robust one, not on an aio-pika queue object:
a replica consumes one queue per connected tab and one inbox per user, and an aio-pika (robust) queue
object each cost ~3-6 KiB of every idle tab's memory, and aio-pika's robust channel keeps every queue
it ever declared, to consume it again after a reconnect. Herald takes its live queues up again itself
after a reconnect (`resume`, called by replica.py), and forgets a queue once it is done with it.

aiormq runs each delivery as a task of its own, so a queue's events could be rendered out of order.
Herald needs publish order per user, so each delivery waits for the one before it to be handled: the
deliveries of a queue form a chain of futures. An idle consumer holds no task and no queue (a worker
task and an asyncio.Queue each were 3 KiB of every idle tab's memory). A message that is not a valid
event goes to the dead letters with the reason (dead_letters.py): poison never blocks a queue. A
delivery whose handling failed goes
back to the queue after a pause (RETRY_DELAY_SECONDS): the broker redelivers it at once, so without the
pause a failure that repeats would spin the replica's CPU and its log as fast as the broker can loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiormq.abc
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aio_pika.message import IncomingMessage
from pydantic import ValidationError

from herald.chat.dead_letters import DeadLetters
from herald.contract.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event, AbstractIncomingMessage], Awaitable[None]]

RETRY_DELAY_SECONDS = 1.0


class EventConsumer:
    __slots__ = ("_channel", "_consuming_on", "_dead_letters", "_handler", "_last", "_pause", "_stopping", "_tag",
                 "queue_name")

    def __init__(self, channel: AbstractChannel, queue_name: str, handler: Handler,
                 dead_letters: DeadLetters, pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.queue_name = queue_name
        self._pause = pause  # the wait before a failed delivery goes back (a test records it instead)
        self._channel = channel
        self._handler = handler
        self._dead_letters = dead_letters
        self._consuming_on: aiormq.abc.AbstractChannel | None = None  # the aiormq channel of `_tag`
        self._tag: str | None = None
        self._last: asyncio.Future[None] | None = None  # resolves when the latest delivery is handled
        self._stopping = False

    async def start(self) -> None:
        """Consume the queue, or consume it again on the channel aio-pika opened after a reconnect;
        a consumer already taking deliveries there, or stopped, stays as it is."""
        channel = await self._channel.get_underlay_channel()
        if self._stopping or channel is self._consuming_on:
            return
        self._consuming_on = channel  # before the await: a concurrent start() must not consume twice
        try:
            ok = await channel.basic_consume(self.queue_name, self._deliver)
        except BaseException:
            self._consuming_on = None
            raise
        if self._stopping:  # stop() came while the consume was on its way
            await channel.basic_cancel(ok.consumer_tag)
            return
        self._tag = ok.consumer_tag

    async def _deliver(self, delivered: aiormq.abc.DeliveredMessage) -> None:
        await self._on_delivery(IncomingMessage(delivered, no_ack=False))

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
            event: Event | None = Event.from_wire(message.body)
        except ValidationError as exc:
            event, poison = None, undecodable_reason(exc)
        try:
            if event is None:
                log.error("dead-lettering message %s from %s: %s", message.message_id, self.queue_name, poison)
                await self._dead_letters.send(message, poison)
            else:
                await self._handler(event, message)
        except Exception:
            log.exception("handling a delivery from %s failed; it goes back to the queue in %g s", self.queue_name,
                          RETRY_DELAY_SECONDS)
            await self._pause(RETRY_DELAY_SECONDS)
            await message.nack(requeue=True)

    async def stop(self) -> None:
        """Stop consuming; deliveries not yet handled go back to the queue, in order."""
        channel, tag = self._consuming_on, self._tag
        self._consuming_on = self._tag = None
        if channel is not None and tag is not None and not channel.is_closed:
            await channel.basic_cancel(tag)
        self._stopping = True
        # Let the delivery in hand finish: cancelling mid-handling could leave it unacked for good.
        while (last := self._last) is not None:
            await asyncio.shield(last)


def undecodable_reason(error: ValidationError) -> str:
    """The reason a poison message carries: the first thing wrong with it, briefly."""
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "the message"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"not a Herald event: {where}: {first['msg']}{more}"[:300]
