"""The notifier's AMQP adapter: one robust connection, one confirming channel, inboxes declared once.

`publish` returns only once the broker has confirmed the event; every other outcome raises
`BrokerUnavailable`, which the HTTP edge turns into a 503.
"""

from __future__ import annotations

import asyncio
import logging

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from aio_pika.exceptions import AMQPError, DeliveryError, PublishError

from shared.events import Event
from shared.topology import (
    InboxArguments,
    declare_dead_letters,
    declare_events_exchange,
    declare_inbox,
    user_routing_key,
)

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker did not confirm; the event may not be durable, so the client must retry."""


class EventPublisher:
    def __init__(self, url: str, inbox_arguments: InboxArguments, confirm_timeout: float) -> None:
        self._url = url
        self._inbox_arguments = inbox_arguments
        self._confirm_timeout = confirm_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        # Users whose inbox this process has declared. Declaring on every request would cost a
        # broker round trip each time; inboxes are never deleted by Herald, so the cache stays true.
        self._inboxes: set[str] = set()
        self._connecting: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return (self._exchange is not None and self._connection is not None
                and not self._connection.is_closed and self._channel is not None
                and not self._channel.is_closed)

    def start(self) -> None:
        """Connect in the background, so the notifier serves /healthz (and 503s) while the broker is down."""
        self._connecting = asyncio.create_task(self._connect_until_up())

    async def _connect_until_up(self) -> None:
        delay = 0.5
        while True:
            try:
                self._connection = await aio_pika.connect_robust(
                    self._url, client_properties={"connection_name": "herald-notifier"})
                self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
                await declare_dead_letters(self._channel)
                self._exchange = await declare_events_exchange(self._channel)
                log.info("connected to the broker")
                return
            except (AMQPError, OSError) as exc:
                log.warning("broker unreachable (%s); retrying in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def close(self) -> None:
        if self._connecting:
            self._connecting.cancel()
        if self._connection:
            await self._connection.close()

    async def publish(self, event: Event) -> None:
        if not self.ready:
            raise BrokerUnavailable("the broker is not connected")
        assert self._channel is not None and self._exchange is not None
        try:
            async with asyncio.timeout(self._confirm_timeout):
                user = event.target.user
                if user not in self._inboxes:
                    await declare_inbox(self._channel, user, self._inbox_arguments)
                    self._inboxes.add(user)
                await self._exchange.publish(self._message(event), user_routing_key(user), mandatory=True)
        except TimeoutError as exc:
            raise BrokerUnavailable(f"no confirm within {self._confirm_timeout:g} s") from exc
        except DeliveryError as exc:
            raise BrokerUnavailable("the broker refused the event (the inbox may be full)") from exc
        except PublishError as exc:
            self._inboxes.discard(event.target.user)  # the inbox vanished; declare it again next time
            raise BrokerUnavailable("the event could not be routed to an inbox") from exc
        except (AMQPError, OSError, RuntimeError) as exc:
            raise BrokerUnavailable(f"the broker link failed ({type(exc).__name__})") from exc

    def _message(self, event: Event) -> aio_pika.Message:
        return aio_pika.Message(
            body=event.to_wire(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.id,
            timestamp=event.created_at,
            expiration=event.ttl_seconds,
            type="herald.event.v1",
        )
