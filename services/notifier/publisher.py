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

from shared.events import BroadcastTarget, Event, GroupTarget, UserTarget
from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    REASON_HEADER,
    InboxArguments,
    declare_exchanges,
    declare_inbox,
    event_routing_key,
    group_routing_key,
    inbox_queue_name,
    session_queue_name,
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
                self._exchange = await declare_exchanges(self._channel)
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
        try:
            async with asyncio.timeout(self._confirm_timeout):
                await self._route(event)
        except TimeoutError as exc:
            raise BrokerUnavailable(f"no confirm within {self._confirm_timeout:g} s") from exc
        except DeliveryError as exc:
            raise BrokerUnavailable("the broker refused the event (the inbox may be full)") from exc
        except (AMQPError, OSError, RuntimeError) as exc:
            raise BrokerUnavailable(f"the broker link failed ({type(exc).__name__})") from exc

    async def _route(self, event: Event) -> None:
        target = event.target
        if isinstance(target, BroadcastTarget):
            # Reaching nobody is a fine outcome for a broadcast: no sessions, or no inboxes yet.
            await self._publish(event, event_routing_key(target), mandatory=False)
        elif isinstance(target, GroupTarget):
            await self._publish(event, event_routing_key(target), mandatory=False)
        else:
            await self._route_to_user(event, target)

    async def _route_to_user(self, event: Event, target: UserTarget) -> None:
        await self.ensure_inbox(target.user)
        try:
            await self._publish(event, event_routing_key(target), mandatory=True)
            return
        except PublishError:
            pass  # returned: no queue is bound for that key
        if target.session is not None and await self._queue_exists(session_queue_name(target.session)):
            # The session exists but its keys name another user: show it to nobody.
            await self._dead_letter(event, "the target session belongs to another user")
            return
        if target.session is None and target.thread is None:
            self._inboxes.discard(target.user)  # the inbox vanished under us; declare it again
            await self.ensure_inbox(target.user)
        # No such session (or nobody showed the thread lately): the owner's inbox applies the fallback.
        log.info("event %s: no session queue takes %s; it goes to %s's inbox", event.id,
                 event_routing_key(target), target.user)
        await self._publish(event, user_routing_key(target.user), mandatory=True)

    async def ensure_inbox(self, user: str) -> None:
        if user not in self._inboxes:
            assert self._channel is not None
            await declare_inbox(self._channel, user, self._inbox_arguments)
            self._inboxes.add(user)

    async def _publish(self, event: Event, routing_key: str, mandatory: bool) -> None:
        assert self._exchange is not None
        await self._exchange.publish(self._message(event), routing_key, mandatory=mandatory)

    async def _queue_exists(self, name: str) -> bool:
        # A passive declare of a missing queue closes its channel, so it gets a channel of its own.
        assert self._connection is not None
        async with self._connection.channel() as probe:
            try:
                await probe.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return False
        return True

    async def _dead_letter(self, event: Event, reason: str) -> None:
        assert self._channel is not None
        log.warning("dead-lettering event %s: %s", event.id, reason)
        message = self._message(event)
        message.headers = {REASON_HEADER: reason}
        exchange = await self._channel.get_exchange(DEAD_LETTER_EXCHANGE, ensure=False)
        await exchange.publish(message, routing_key="", mandatory=False)

    async def bind_member(self, group: str, user: str) -> None:
        await self._member_binding(group, user, bind=True)

    async def unbind_member(self, group: str, user: str) -> None:
        await self._member_binding(group, user, bind=False)

    async def _member_binding(self, group: str, user: str, bind: bool) -> None:
        if not self.ready:
            raise BrokerUnavailable("the broker is not connected")
        assert self._channel is not None and self._exchange is not None
        try:
            async with asyncio.timeout(self._confirm_timeout):
                await self.ensure_inbox(user)
                queue = await self._channel.get_queue(inbox_queue_name(user), ensure=False)
                if bind:
                    await queue.bind(self._exchange, group_routing_key(group))
                else:
                    await queue.unbind(self._exchange, group_routing_key(group))
        except TimeoutError as exc:
            raise BrokerUnavailable(f"no answer within {self._confirm_timeout:g} s") from exc
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
