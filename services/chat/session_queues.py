"""Each Chainlit session's own durable queue: declared on connect, consumed while connected; when the
tab drops, the user's events in it go back to the owner's inbox once the tab has not returned in time
(`hand_back`), and all of it when Chainlit deletes the session. While a replica consumes a tab's
queue it holds a lease for it (tab_leases.py), so that another replica unbinds the queue from its user
should this one die.

Bindings (see shared/topology.py):
- always: `session.<U>.<S>` and, without a data layer, `thread.<U>.<T>`, so events for the tab wait
  in its queue while it is away;
- while connected: `user.<U>` on the sessions exchange (a disconnected tab gets no user events: they
  wait in the inbox instead), and `thread.<U>.<T>` with a data layer (with one, a thread nobody
  shows is written to the thread at once).

Live broadcasts do not come through session queues: each replica has one queue for them
(see broadcasts.py).
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import ChannelNotFoundEntity
from aiormq.exceptions import AMQPError, ChannelPreconditionFailed
from pamqp.common import FieldTable
from pydantic import ValidationError

from herald.chat.dead_letters import DeadLetters
from herald.chat.event_consumer import EventConsumer, Handler, undecodable_reason
from herald.chat.routing import Departure, decide_departure
from herald.chat.session_registry import SessionRecord
from herald.chat.tab_ids import TabRefused
from herald.chat.tab_leases import Lease, TabLeases
from herald.contract.declarations import declare_queue, queue_handle
from herald.contract.events import Event
from herald.contract.topology import (
    EVENTS_EXCHANGE,
    RELAYED_FOR_HEADER,
    SESSIONS_EXCHANGE,
    session_queue_arguments,
    session_queue_name,
    session_routing_key,
    thread_routing_key,
    user_routing_key,
)

log = logging.getLogger(__name__)


class SessionQueues:
    def __init__(self, connection: AbstractConnection, channel: AbstractChannel, session_timeout_seconds: int,
                 has_data_layer: bool, dead_letters: DeadLetters) -> None:
        self._connection = connection
        self._dead_letters = dead_letters
        self._channel = channel
        self._timeout = session_timeout_seconds
        self._has_data_layer = has_data_layer
        self._consumers: dict[str, EventConsumer] = {}
        self._leases = TabLeases(connection, self._orphaned)

    def _bindings(self, record: SessionRecord, connected_only: bool) -> list[tuple[str, str]]:
        thread = [(EVENTS_EXCHANGE, thread_routing_key(record.user, record.thread_id))] if record.thread_id else []
        if connected_only:
            live = [(SESSIONS_EXCHANGE, user_routing_key(record.user))]
            return live + (thread if self._has_data_layer else [])
        waiting = [] if self._has_data_layer else thread
        return [(EVENTS_EXCHANGE, session_routing_key(record.user, record.id)), *waiting]

    def _arguments(self, record: SessionRecord) -> FieldTable:
        return session_queue_arguments(record.user, self._timeout)

    async def _declare_bound(self, record: SessionRecord) -> None:
        # On a channel of its own. The session id comes from the browser: when it names another user's
        # tab (held by another replica), the broker refuses the declare, whose arguments name the owner,
        # and closes the channel it came on. That must not be the channel every tab here consumes on.
        async with self._connection.channel() as channel:
            try:
                queue = await declare_queue(channel, session_queue_name(record.id), self._arguments(record))
            except ChannelPreconditionFailed as refused:
                raise TabRefused(f"the broker refused its queue, which another user's tab (or a replica with "
                                 f"another session timeout) declared: {refused}") from refused
            bindings = self._bindings(record, connected_only=False) + self._bindings(record, connected_only=True)
            for exchange, key in bindings:
                await queue.bind(exchange, key)

    async def connect(self, record: SessionRecord, handler: Handler) -> None:
        if record.id in self._consumers:
            return
        await self._declare_bound(record)
        consumer = self._consumers[record.id] = EventConsumer(self._channel, session_queue_name(record.id), handler,
                                                                 self._dead_letters)
        await consumer.start()
        await self._leases.take(record.id, record.user, record.thread_id)

    async def resume(self, record: SessionRecord) -> None:
        """After a reconnect: declare, bind and consume again the queue of a session still connected."""
        consumer = self._consumers.get(record.id)
        if consumer is not None:
            await self._declare_bound(record)
            await consumer.start()
            await self._leases.take(record.id, record.user, record.thread_id)

    async def disconnect(self, record: SessionRecord) -> None:
        """Stop the user's events reaching the tab, and stop consuming its queue. What is in the queue
        stays there for a while (hand_back): the tab may come back and take it, in order."""
        consumer = self._consumers.pop(record.id, None)
        if consumer is None:
            return
        queue = queue_handle(self._channel, session_queue_name(record.id), self._arguments(record))
        for exchange, key in self._bindings(record, connected_only=True):
            await queue.unbind(exchange, key)
        await consumer.stop()
        await self._leases.give_back(record.id)

    async def hand_back(self, record: SessionRecord) -> None:
        """The tab did not come back in time: hand back what it will not take now (see
        routing.decide_departure), keep the rest."""
        if record.id in self._consumers:
            return
        queue = await declare_queue(self._channel, session_queue_name(record.id), self._arguments(record))
        if queue.declaration_result.consumer_count:
            return  # the tab came back on another instance, which now owns the queue
        await self._sort_out(record, queue)

    async def _orphaned(self, lease: Lease) -> None:
        """The replica that held tab `lease.session` is gone without unbinding its queue from the user
        (tab_leases.py): unbind it, and hand back the user's events in it, unless the tab is back."""
        if lease.session in self._consumers:
            return
        record = SessionRecord(lease.session, lease.user, lease.thread)
        # A channel of its own: a passive declare of a queue that is gone closes its channel.
        async with self._connection.channel() as channel:
            try:
                queue = await channel.declare_queue(session_queue_name(record.id), passive=True)
            except ChannelNotFoundEntity:
                return
            if queue.declaration_result.consumer_count:
                return  # the tab came back on another instance, which now owns the queue
            for exchange, key in self._bindings(record, connected_only=True):
                await queue.unbind(exchange, key)
            if (await channel.declare_queue(queue.name, passive=True)).declaration_result.consumer_count:
                # The tab came back meanwhile: its replica bound the queue just before consuming it.
                for exchange, key in self._bindings(record, connected_only=True):
                    await queue.bind(exchange, key)
                return
            log.info("unbound session %s of %s from its user: its replica is gone", record.id, record.user)
            await self._sort_out(record, queue)

    async def _sort_out(self, record: SessionRecord, queue: AbstractQueue) -> None:
        kept = []
        while (message := await queue.get(fail=False)) is not None:
            departure = await self._departure(record, message)
            if departure is Departure.DONE:
                await message.ack()
            elif departure is Departure.RETURN:
                await message.reject(requeue=False)  # the queue's dead-letter route is the owner's inbox
            elif departure is Departure.KEEP:
                kept.append(message)
        for message in kept:  # back where they were, in order
            await message.nack(requeue=True)

    async def _departure(self, record: SessionRecord, message: AbstractIncomingMessage) -> Departure | None:
        """What becomes of a message in a departed tab's queue; None for poison, dead-lettered here."""
        try:
            event = Event.from_wire(message.body)
        except ValidationError as exc:
            await self._dead_letters.send(message, undecodable_reason(exc))
            return None
        relayed_for = (message.headers or {}).get(RELAYED_FOR_HEADER)
        return decide_departure(relayed_for if isinstance(relayed_for, str) else None,
                                already_shown=record.has_proven(event.id))

    async def remove(self, record: SessionRecord) -> None:
        """The session is gone for good: hand what waits in its queue to the inbox, then delete it."""
        await self.disconnect(record)
        # A refused conditional delete closes its channel, so the drain gets a channel of its own.
        async with self._connection.channel() as channel:
            queue = await declare_queue(channel, session_queue_name(record.id), self._arguments(record))
            if queue.declaration_result.consumer_count:
                return  # the tab came back on another instance, which now owns the queue
            for exchange, key in self._bindings(record, connected_only=False):
                await queue.unbind(exchange, key)
            # Nothing routes in any more. Rejected events dead-letter into the owner's inbox (the
            # queue's dead-letter route), where each event's fallback applies; what the tab is known
            # to have shown is done.
            while (message := await queue.get(fail=False)) is not None:
                departure = await self._departure(record, message)
                if departure is Departure.DONE:
                    await message.ack()
                elif departure is not None:
                    await message.reject(requeue=False)
            try:
                await queue.delete(if_unused=True, if_empty=True)
            except AMQPError:
                log.warning("the queue of session %s is in use again; leaving it", record.id)

    async def close(self) -> None:
        for consumer in self._consumers.values():
            await consumer.stop()
        self._consumers.clear()

