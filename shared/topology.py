"""The AMQP topology, declared once: names, routing keys and queue arguments.

Flow: the notifier publishes to EVENTS_EXCHANGE with `user_routing_key(user)`; each user's durable
inbox is bound with that key; the chat instance that holds a session of the user consumes the inbox.
Rejected, expired and overflowing events go to DEAD_LETTER_EXCHANGE and wait in DEAD_LETTER_QUEUE.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from pamqp.common import FieldTable

from shared.settings import CommonSettings

EVENTS_EXCHANGE = "herald.events"
DEAD_LETTER_EXCHANGE = "herald.dead"
DEAD_LETTER_QUEUE = "herald.dead-letters"

_USER_PREFIX = "user."
_INBOX_PREFIX = "herald.inbox."


def user_routing_key(user: str) -> str:
    return f"{_USER_PREFIX}{user}"


def inbox_queue_name(user: str) -> str:
    return f"{_INBOX_PREFIX}{user}"


@dataclass(frozen=True)
class InboxArguments:
    ttl_seconds: int
    max_length: int

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> InboxArguments:
        return cls(ttl_seconds=settings.inbox_ttl_seconds, max_length=settings.inbox_max_length)

    def as_queue_arguments(self) -> FieldTable:
        return {
            "x-queue-type": "classic",
            "x-message-ttl": self.ttl_seconds * 1000,
            "x-max-length": self.max_length,
            # A full inbox refuses new events: the publisher gets a nack (and answers 503) instead of
            # the oldest unread event being dropped silently. The refused copy is dead-lettered.
            "x-overflow": "reject-publish-dlx",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            # One consumer at a time keeps a user's events in order, whichever replica holds them.
            "x-single-active-consumer": True,
        }


async def declare_events_exchange(channel: AbstractChannel) -> AbstractExchange:
    return await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_dead_letters(channel: AbstractChannel) -> AbstractQueue:
    exchange = await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "classic"})
    await queue.bind(exchange)
    return queue


async def declare_inbox(channel: AbstractChannel, user: str, arguments: InboxArguments) -> AbstractQueue:
    """Declare (idempotently) a user's durable inbox and bind it to the user's routing key."""
    queue = await channel.declare_queue(
        inbox_queue_name(user), durable=True, arguments=arguments.as_queue_arguments()
    )
    await queue.bind(EVENTS_EXCHANGE, routing_key=user_routing_key(user))
    return queue
