"""The notifier's AMQP adapter: one robust connection, one confirming channel, inboxes declared on demand.

`publish` returns only once the broker has confirmed the event; every other outcome raises
`BrokerUnavailable`, which the HTTP edge turns into a 503. Concurrent publishes share the channel and
pipeline: each waits for its own confirm only (see `_send`). Where an event goes, and where it goes
when the broker returns it, is routing.py's decision: this module only carries it out.

A user's event is published with `mandatory` straight away: the inbox exists for every user who has
ever had an event or opened a chat, and the broker returns the event when it does not. Only then is
the inbox declared (once, however many events for that user are in flight) and the event published
again. So a request costs no declare round trips, whichever worker serves it, after a restart too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import assert_never

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractExchange, AbstractQueue
from aio_pika.exceptions import AMQPError, DeliveryError, PublishError
from aiormq import spec

from herald.contract.broker_link import BrokerLink, LinkStatus
from herald.contract.declarations import declare_exchanges, declare_inbox
from herald.contract.events import Event
from herald.contract.frames import ConfirmedPublisher, MessageIdInFlight
from herald.contract.topology import InboxArguments, group_routing_key, inbox_queue_name
from herald.notifier.routing import AskSession, NewInbox, Route, Send, decide_route

log = logging.getLogger(__name__)


# Called once the broker is first reached; ends the process when this one's settings differ from the
# deployment's.
SettingsCheck = Callable[[AbstractConnection], Awaitable[None]]


class BrokerUnavailable(RuntimeError):
    """The broker did not confirm; the event may not be durable, so the client must retry."""


class EventPublisher:
    def __init__(self, url: str, inbox_arguments: InboxArguments, confirm_timeout: float,
                 check_settings: SettingsCheck | None = None) -> None:
        self.link = BrokerLink(url, "herald-notifier")
        self._check_settings = check_settings
        self._inbox_arguments = inbox_arguments
        self._confirm_timeout = confirm_timeout
        # Made now, opened by aio-pika when the link first comes up (and again after each drop).
        self._channel = self.link.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._channel.reopen_callbacks.add(self._declare_topology)
        self._confirmed = ConfirmedPublisher(self._channel)
        self._exchange: AbstractExchange | None = None
        self._declaring: dict[str, asyncio.Future[AbstractQueue]] = {}  # inboxes being declared, by user

    @property
    def ready(self) -> bool:
        """The link is up and the topology declared: a publish can be confirmed. While not, a publish
        answers at once, never after a timeout."""
        return self.link.up and self._exchange is not None and not self._channel.is_closed

    def link_status(self) -> LinkStatus:
        return self.link.status()

    def start(self) -> None:
        """Connect in the background, so the notifier serves /healthz (and 503s) while the broker is down."""
        self.link.start()

    async def _declare_topology(self, _channel: object = None) -> None:
        # Once: aio-pika's robust channel declares the exchanges again itself after a reconnect.
        if self._exchange is not None:
            return
        try:
            if self._check_settings is not None:
                await self._check_settings(self.link.connection)  # before any declare (shared/agreed_settings.py)
            self._exchange = await declare_exchanges(self._channel)
        except (AMQPError, OSError):
            log.exception("the broker refused Herald's topology; /readyz stays 503")

    async def close(self) -> None:
        await self.link.close()

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
        except MessageIdInFlight as exc:  # a retry while the attempt that timed out still awaits its confirm
            raise BrokerUnavailable("an earlier attempt with this event id still awaits the broker's confirm") from exc
        except (AMQPError, OSError, RuntimeError) as exc:
            raise BrokerUnavailable(f"the broker link failed ({type(exc).__name__})") from exc

    async def _route(self, event: Event) -> None:
        await self._take(event, decide_route(event.target))

    async def _take(self, event: Event, route: Route) -> None:
        try:
            await self._send(event, route.send)
        except PublishError:  # returned: no queue is bound for the key
            if route.if_returned is None:
                raise
            await self._fall_back(event, route.if_returned)

    async def _fall_back(self, event: Event, fallback: Route | NewInbox | AskSession) -> None:
        match fallback:
            case Route():
                log.info("event %s: nobody took it; it goes on by %s", event.id, fallback.send.routing_key)
                await self._take(event, fallback)
            case NewInbox():
                await self.ensure_inbox(fallback.user)
                await self._send(event, fallback.send)
            case AskSession():
                if await self._queue_exists(fallback.queue):
                    log.warning("dead-lettering event %s: %s", event.id, fallback.if_exists.headers)
                    await self._send(event, fallback.if_exists)
                else:
                    await self._fall_back(event, fallback.otherwise)
            case _:
                assert_never(fallback)

    async def ensure_inbox(self, user: str) -> None:
        """Declare the user's inbox; concurrent calls for one user share a single declaration."""
        declaring = self._declaring.get(user)
        if declaring is None:
            declaring = self._declaring[user] = asyncio.ensure_future(
                declare_inbox(self._channel, user, self._inbox_arguments))
            declaring.add_done_callback(lambda done: self._declared(user, done))
        await asyncio.shield(declaring)

    def _declared(self, user: str, declaring: asyncio.Future[AbstractQueue]) -> None:
        del self._declaring[user]
        if not declaring.cancelled():
            declaring.exception()  # retrieved here too, should every waiter have given up

    async def _send(self, event: Event, send: Send) -> None:
        await self._confirmed.publish(event.to_wire(), exchange=send.exchange, routing_key=send.routing_key,
                                      properties=_properties(event, send.headers), mandatory=send.mandatory)

    async def _queue_exists(self, name: str) -> bool:
        # A passive declare of a missing queue closes its channel, so it gets a channel of its own.
        async with self.link.connection.channel() as probe:
            try:
                await probe.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return False
        return True

    async def bind_member(self, group: str, user: str) -> None:
        await self._member_binding(group, user, bind=True)

    async def unbind_member(self, group: str, user: str) -> None:
        await self._member_binding(group, user, bind=False)

    async def _member_binding(self, group: str, user: str, bind: bool) -> None:
        if not self.ready:
            raise BrokerUnavailable("the broker is not connected")
        assert self._exchange is not None
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


def _properties(event: Event, headers: Mapping[str, str] | None) -> spec.Basic.Properties:
    return spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=event.id,
        timestamp=event.created_at,
        expiration=None if event.ttl_seconds is None else str(event.ttl_seconds * 1000),  # milliseconds
        message_type="herald.event.v1",
        headers=None if headers is None else dict(headers),
    )
