"""Herald's delivery inside a Chainlit app: the composition root of the chat side.

Embedding it takes two lines in any Chainlit app, and leaves the app's own hooks alone:

    from services.chat.delivery import attach
    attach()

Under `chainlit run` it starts and stops with Chainlit's server. When Chainlit is mounted in a parent
FastAPI app (whose lifespan Chainlit's does not join), enter `running(settings)` in the parent lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from chainlit.config import config as chainlit_config
from chainlit.data import get_data_layer
from chainlit.session import WebsocketSession

from services.chat import render
from services.chat.broadcasts import ReplicaBroadcasts
from services.chat.config import ChatSettings
from services.chat.event_consumer import EventConsumer
from services.chat.inbox_relay import InboxRelay
from services.chat.session_delivery import SessionDelivery
from services.chat.session_hooks import watch_sessions
from services.chat.session_queues import SessionQueues
from services.chat.session_registry import SessionRecord, SessionRegistry
from services.chat.thread_persistence import persist_to_thread
from services.chat.user_locks import UserLocks
from shared.broker_connection import connect_until_up
from shared.frames import ConfirmedPublisher
from shared.topology import (
    InboxArguments,
    declare_exchanges,
    declare_inbox,
    declare_replica_queue,
    inbox_queue_name,
    replica_queue_name,
)

log = logging.getLogger("herald.chat")


class Delivery:
    """Keeps, for this instance, one inbox consumer per present user, one queue per session, and one
    queue of live broadcasts for all its sessions."""

    def __init__(self, settings: ChatSettings, connection: AbstractRobustConnection, consuming: AbstractChannel,
                 publishing: AbstractChannel, session_timeout: int) -> None:
        has_data_layer = get_data_layer() is not None
        self.settings = settings
        self.registry = SessionRegistry()
        self._consuming = consuming
        self._inbox_arguments = InboxArguments.from_settings(settings)
        self._inboxes: dict[str, EventConsumer] = {}
        self._sessions = SessionQueues(connection, consuming, session_timeout, has_data_layer)
        publisher = ConfirmedPublisher(publishing)  # relayed copies and dead letters
        self._show = SessionDelivery(self.registry, publisher, settings.render_attempts)
        self._relay = InboxRelay(publisher, persist_to_thread if has_data_layer else None, self._show.show_here,
                                 self._show.proven_here)
        self._replica = uuid.uuid4().hex
        self._broadcasts = EventConsumer(consuming, replica_queue_name(self._replica),
                                         ReplicaBroadcasts(self._show.shown_to_all).handle)
        self._locks = UserLocks()
        self._handing_back: dict[str, asyncio.TimerHandle] = {}  # tabs' grace periods (see _hand_back)
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, settings: ChatSettings, connection: AbstractRobustConnection,
                    session_timeout: int) -> Delivery:
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=settings.inbox_prefetch)
        publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_exchanges(publishing)
        delivery = cls(settings, connection, consuming, publishing, session_timeout)
        await declare_replica_queue(consuming, delivery._replica)
        await delivery._broadcasts.start()
        consuming.reopen_callbacks.add(delivery._resume)
        return delivery

    async def _resume(self, _channel: object = None) -> None:
        """After a reconnect (aio-pika has opened the channel again): declare and consume again the
        queues this replica was consuming. Herald keeps them, not aio-pika (see event_consumer.py)."""
        try:
            await declare_replica_queue(self._consuming, self._replica)  # exclusive: gone with the connection
            await self._broadcasts.start()
            users = {record.user for record in self.registry.sessions() if record.connected} | set(self._inboxes)
            for user in users:
                async with self._locks.hold(user):
                    for record in self.registry.connected_sessions(user):
                        await self._sessions.resume(record)
                    if (inbox := self._inboxes.get(user)) is not None:
                        await declare_inbox(self._consuming, user, self._inbox_arguments)
                        await inbox.start()
            log.info("took up the queues of %d users again after a reconnect", len(users))
        except Exception:
            log.exception("taking up the queues again after a reconnect failed")
            raise

    async def on_connected(self, session: WebsocketSession) -> None:
        assert session.user is not None
        user = session.user.identifier
        async with self._locks.hold(user):
            log.info("session %s of %s connected", session.id, user)
            if (earlier := self.registry.get(session.id)) is not None and earlier.user == user:
                # Back on a new socket before its old one was seen to go: what the old socket was
                # sent unproven goes back to the queue, to come again on this one.
                for message in self._show.release(earlier):
                    await _requeue(message)
            record = self.registry.connected(session.id, user, session.thread_id)
            await self._replay(session, record)
            # The session's queue first: the inbox relays only to connected session queues. What the
            # tab was not proven to read before it dropped went back to that queue, ahead of anything
            # newer, and the tab is shown the inbox's events through its queue until it has caught up.
            await self._sessions.connect(record, partial(self._show.handle, session.id))
            await render.join_broadcasts(session)
            if user not in self._inboxes:
                await declare_inbox(self._consuming, user, self._inbox_arguments)
                inbox = self._inboxes[user] = EventConsumer(self._consuming, inbox_queue_name(user),
                                                            partial(self._relay.handle, user))
                await inbox.start()

    async def _replay(self, session: WebsocketSession, record: SessionRecord) -> None:
        """Show again the live broadcasts the tab was not proven to read before it dropped (they come
        through no queue of its own). The repeat carries the same message id, so the frontend keeps
        one copy."""
        try:
            await self._show.replay(session, record, record.take_replay())
        except Exception:
            log.exception("showing live broadcasts again in session %s failed", session.id)

    async def on_disconnected(self, session: WebsocketSession) -> None:
        assert session.user is not None
        async with self._locks.hold(session.user.identifier):
            log.info("session %s disconnected", session.id)
            record = self.registry.get(session.id)
            gone_user = self.registry.disconnected(session.id, at=time.monotonic())
            if record is not None:
                await self._sessions.disconnect(record)  # the delivery in hand is finished first
                # What the tab was not proven to read goes back to its queue, in order: it is shown
                # again if the tab returns, and handed to the user's inbox if it does not.
                for message in self._show.release(record):
                    await _requeue(message)
                self._hand_back_later(record.id)
            if gone_user is not None and (inbox := self._inboxes.pop(gone_user, None)):
                await inbox.stop()
                await self._relay.release(gone_user)

    def _hand_back_later(self, session_id: str) -> None:
        if (earlier := self._handing_back.pop(session_id, None)) is not None:
            earlier.cancel()
        grace = self.settings.reconnect_grace_seconds
        self._handing_back[session_id] = asyncio.get_running_loop().call_later(grace, self._start_hand_back, session_id)

    def _start_hand_back(self, session_id: str) -> None:
        self._handing_back.pop(session_id, None)
        task = asyncio.create_task(self._hand_back(session_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hand_back(self, session_id: str) -> None:
        """A tab that did not return within the grace: the user's events it holds go back to their
        inbox, for their other or next tabs (its own session and thread events keep waiting for it)."""
        record = self.registry.get(session_id)
        if record is None:
            return
        async with self._locks.hold(record.user):
            if record.connected or session_id in self._handing_back:
                return  # back, or back and gone again, with a grace of its own
            try:
                await self._sessions.hand_back(record)
            except Exception:
                log.exception("handing the events of session %s back to its user's inbox failed", session_id)

    async def sweep(self) -> None:
        """Remove the queues of sessions Chainlit has deleted (their timeout passed), and catch up on
        disconnects that overtook their own connect (a tab closed while it was still opening)."""
        for record in self.registry.sessions():
            session = WebsocketSession.get_by_id(record.id)
            if session is None:
                async with self._locks.hold(record.user):
                    await self._remove(record)
            elif record.connected and not render.is_live(session):
                await self.on_disconnected(session)

    async def _remove(self, record: SessionRecord) -> None:
        try:
            await self._sessions.remove(record)
        finally:
            self.registry.forget(record.id)

    async def close(self) -> None:
        for timer in self._handing_back.values():
            timer.cancel()
        await self._broadcasts.stop()
        for inbox in self._inboxes.values():
            await inbox.stop()
        await self._relay.release_all()
        await self._sessions.close()


@asynccontextmanager
async def running(settings: ChatSettings | None = None) -> AsyncIterator[Delivery]:
    settings = settings or ChatSettings()
    if settings.session_timeout_seconds:
        chainlit_config.project.session_timeout = settings.session_timeout_seconds
    session_timeout = int(chainlit_config.project.session_timeout)
    # Until the broker is up, the chat does not serve: without it no tab could get its events.
    connection = await connect_until_up(settings.amqp_url, "herald-chat")
    try:
        delivery = await Delivery.start(settings, connection, session_timeout)
        restore_hooks = watch_sessions(delivery.on_connected, delivery.on_disconnected)
        sweeping = asyncio.create_task(_sweep_forever(delivery, max(1.0, min(30.0, session_timeout / 4))))
        log.info("Herald delivery is running")
        try:
            yield delivery
        finally:
            sweeping.cancel()
            restore_hooks()
            await delivery.close()
    finally:
        await connection.close()


async def _sweep_forever(delivery: Delivery, every_seconds: float) -> None:
    while True:
        await asyncio.sleep(every_seconds)  # housekeeping on a timer: Chainlit signals no deletion
        try:
            await delivery.sweep()
        except Exception:
            log.exception("removing the queues of deleted sessions failed; trying again later")


async def _requeue(message: AbstractIncomingMessage) -> None:
    # When the channel has closed, the broker has put the delivery back by itself.
    with contextlib.suppress(ChannelInvalidStateError, AMQPError):
        await message.nack(requeue=True)


def attach(settings: ChatSettings | None = None) -> None:
    """Run Herald's delivery for as long as Chainlit's server runs (under `chainlit run`)."""
    from chainlit.server import app

    chainlit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(server: object) -> AsyncIterator[object]:
        # Chainlit's lifespan is the outer one: its teardown ends the process with os._exit.
        async with chainlit_lifespan(server) as state, running(settings):
            yield state

    app.router.lifespan_context = lifespan  # type: ignore[assignment]

