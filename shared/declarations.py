"""Declaring Herald's topology (shared/topology.py) on a channel: the calls that talk to the broker.

topology.py holds what the exchanges and queues are called and which arguments they take, as pure data;
this module declares them, and gives the queue handles aio-pika's robust channel does not keep.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from pamqp.common import FieldTable

from herald.contract.topology import (
    ACKS_EXCHANGE,
    BROADCAST_KEY,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    EVENTS_EXCHANGE,
    EVERY_ACK_KEY,
    PERSISTENT_BROADCAST_KEY,
    SESSIONS_EXCHANGE,
    InboxArguments,
    inbox_queue_name,
    replica_acks_queue_name,
    replica_queue_name,
    user_routing_key,
)


async def declare_exchanges(channel: AbstractChannel) -> AbstractExchange:
    """Declare every exchange and the dead-letter queue; return the events exchange."""
    events = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(SESSIONS_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    dead = await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
    await channel.declare_exchange(ACKS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    dead_letters = await channel.declare_queue(DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "classic"})
    await dead_letters.bind(dead)
    return events


async def declare_queue(channel: AbstractChannel, name: str, arguments: FieldTable,
                        exclusive: bool = False) -> AbstractQueue:
    """Declare a queue (durable unless exclusive) without aio-pika's robust channel keeping it.

    `RobustChannel.declare_queue` keeps every queue it ever declared, to declare it again after a
    reconnect: one per tab a chat replica ever had and one per user a notifier ever published to, in
    memory for good, and declared again on every reconnect, deleted ones too. Herald declares what it
    still uses itself after a reconnect (services/chat/delivery.py); a notifier declares an inbox
    when the broker returns an event for want of one.
    """
    queue = queue_handle(channel, name, arguments, exclusive)
    await queue.declare()
    return queue


def queue_handle(channel: AbstractChannel, name: str, arguments: FieldTable, exclusive: bool = False) -> AbstractQueue:
    """A queue object to declare, bind, read or delete a queue by, kept by nobody (see declare_queue)."""
    return aio_pika.Queue(channel, name, durable=not exclusive, exclusive=exclusive, auto_delete=False,
                          arguments=arguments)


async def declare_inbox(channel: AbstractChannel, user: str, arguments: InboxArguments) -> AbstractQueue:
    """Declare (idempotently) a user's durable inbox with its bindings."""
    queue = await declare_queue(channel, inbox_queue_name(user), arguments.as_queue_arguments())
    await queue.bind(EVENTS_EXCHANGE, routing_key=user_routing_key(user))
    await queue.bind(EVENTS_EXCHANGE, routing_key=PERSISTENT_BROADCAST_KEY)
    return queue


async def declare_replica_queue(channel: AbstractChannel, replica: str) -> AbstractQueue:
    """A chat replica's queue of live broadcasts. A live broadcast is for the tabs connected when it is
    published, so the queue lives and dies with the replica's connection (exclusive, not durable);
    the replica declares it again after a reconnect."""
    queue = await declare_queue(channel, replica_queue_name(replica), {"x-queue-type": "classic"}, exclusive=True)
    await queue.bind(EVENTS_EXCHANGE, routing_key=BROADCAST_KEY)
    return queue


async def declare_replica_acks_queue(channel: AbstractChannel, replica: str) -> AbstractQueue:
    """A chat replica's queue of acknowledgements (shared/acks.py), to show each in the user's tabs here:
    like its queue of live broadcasts, it lives and dies with the replica's connection."""
    queue = await declare_queue(channel, replica_acks_queue_name(replica), {"x-queue-type": "classic"}, exclusive=True)
    await queue.bind(ACKS_EXCHANGE, routing_key=EVERY_ACK_KEY)
    return queue
