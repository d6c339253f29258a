"""One chat replica's queues and tabs: one inbox consumer per present user, one queue per tab, and one
queue of live broadcasts for all its tabs; what becomes of a tab's events when it connects, drops,
returns, or is gone for good.

It learns of tabs and shows them events through the tabs port (tabs.py), never through Chainlit
itself: delivery.py, the composition root, hands it the Chainlit adapter. It never holds the app up:
tabs that connect while the broker link is down are recorded, and when the link comes (back), their
queues are declared, bound and consumed (`Replica._take_up`), and their users' waiting events delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from functools import partial

from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from herald.chat.ackable_events import AckableEvents
from herald.chat.acknowledgements import Acknowledgements
from herald.chat.broadcasts import ReplicaBroadcasts
from herald.chat.config import ChatSettings
from herald.chat.dead_letters import DeadLetters
from herald.chat.event_consumer import EventConsumer
from herald.chat.inbox_relay import InboxRelay
from herald.chat.reconnect_grace import ReconnectGrace
from herald.chat.session_queues import SessionQueues
from herald.chat.session_registry import SessionRecord, SessionRegistry
from herald.chat.tab_ids import TabRefused
from herald.chat.tab_showing import TabShowing
from herald.chat.tabs import Tab, Tabs
from herald.chat.thread_persistence import persist_to_thread
from herald.chat.user_locks import UserLocks
from herald.contract.agreed_settings import agree_or_exit
from herald.contract.broker_link import BrokerLink, LinkDown, LinkStatus
from herald.contract.declarations import declare_exchanges, declare_inbox, declare_replica_queue
from herald.contract.frames import ChannelClosed, ConfirmedPublisher
from herald.contract.topology import InboxArguments, inbox_queue_name, replica_queue_name

log = logging.getLogger("herald.chat")

# What a piece of broker work raises when the link is down or drops, or a channel is being reopened.
LINK_ERRORS = (LinkDown, AMQPError, ConnectionError, ChannelInvalidStateError, ChannelClosed)
TAKE_UP_RETRY_SECONDS = 5.0


class Replica:
    def __init__(self, settings: ChatSettings, link: BrokerLink, tabs: Tabs, session_timeout: int,
                 ack_key: bytes) -> None:
        has_data_layer = tabs.keeps_threads
        self.settings = settings
        self._tabs = tabs
        self.registry = SessionRegistry()
        self._link = link
        self._session_timeout = session_timeout
        connection = link.connection
        # Made now, opened by aio-pika when the link comes up and again after each drop; each opening of
        # the consuming channel takes up this replica's queues (`_take_up`).
        self._consuming = connection.channel()
        publishing = connection.channel(publisher_confirms=True, on_return_raises=True)
        self._inbox_arguments = InboxArguments.from_settings(settings)
        self._inboxes: dict[str, EventConsumer] = {}
        publisher = ConfirmedPublisher(publishing)  # relayed copies and dead letters
        self._dead_letters = DeadLetters(publisher)
        self._sessions = SessionQueues(connection, self._consuming, session_timeout, has_data_layer,
                                      self._dead_letters)
        self.ackable = AckableEvents()  # the events with ack buttons this replica showed: they go with it
        self._show = TabShowing(self.registry, tabs, publisher, settings.render_attempts, self.ackable)
        self._relay = InboxRelay(publisher, partial(persist_to_thread, tabs) if has_data_layer else None,
                                 self._show.show_here, self._show.proven_here)
        self._replica = uuid.uuid4().hex
        self.acks = Acknowledgements(self.registry, tabs, self.ackable, ack_key, publisher, self._consuming,
                                     self._replica)
        self._broadcasts = EventConsumer(self._consuming, replica_queue_name(self._replica),
                                         ReplicaBroadcasts(tabs, self._show.shown_to_all).handle, self._dead_letters)
        self._locks = UserLocks()
        self._departures_owed: set[str] = set()  # sessions that left while the link was down
        self._grace = ReconnectGrace(settings.reconnect_grace_seconds, self._hand_back)
        self._live = asyncio.Event()
        self._taking_up: asyncio.Task[None] | None = None
        self._consuming.reopen_callbacks.add(self._channel_opened)
        connection.close_callbacks.add(self._link_dropped)

    @property
    def live(self) -> bool:
        return self._live.is_set() and self._link.up

    def link_status(self) -> LinkStatus:
        return self._link.status()

    async def wait_live(self) -> None:
        while not self.live:
            await self._link.wait_up()
            await self._live.wait()

    def _link_dropped(self, *_args: object) -> None:
        self._live.clear()

    def _channel_opened(self, _channel: object = None) -> None:
        # A task, not awaited here: aio-pika opens the other channels only after this callback returns.
        self._live.clear()
        if self._taking_up is not None:
            self._taking_up.cancel()
        self._taking_up = asyncio.create_task(self._take_up())

    async def _take_up(self) -> None:
        """The consuming channel is open (the link is up for the first time, or again): declare and
        consume the queues this replica uses, those of tabs that connected while the link was down
        included, and finish the departures of tabs that left meanwhile. Herald keeps these queues,
        not aio-pika (see event_consumer.py)."""
        while True:
            try:
                async with self._link.while_up():
                    users = await self._take_up_queues()
            except LinkDown:
                return  # the next opening takes them up
            except Exception:
                log.exception("taking up the queues failed; trying again in %g s", TAKE_UP_RETRY_SECONDS)
                await asyncio.sleep(TAKE_UP_RETRY_SECONDS)
                continue
            self._live.set()
            log.info("delivery is live: took up the queues of %d users", users)
            return

    async def _take_up_queues(self) -> int:
        # Before any declare: a replica whose settings differ from its deployment's ends here, saying why.
        await agree_or_exit(self._link.connection, self.settings, "herald-chat", self._session_timeout)
        await self._consuming.set_qos(prefetch_count=self.settings.inbox_prefetch)
        await declare_exchanges(self._consuming)
        await declare_replica_queue(self._consuming, self._replica)  # exclusive: gone with the connection
        await self._broadcasts.start()
        await self.acks.start()
        for session_id in list(self._departures_owed):
            record = self.registry.get(session_id)
            if record is not None and not record.connected:
                async with self._locks.hold(record.user):
                    await self._sessions.disconnect(record)
            self._departures_owed.discard(session_id)
        users = {record.user for record in self.registry.sessions() if record.connected} | set(self._inboxes)
        for user in users:
            async with self._locks.hold(user):
                for record in self.registry.connected_sessions(user):
                    await self._sessions.resume(record)  # consumed before the link dropped
                    try:
                        await self._sessions.connect(record, partial(self._show.handle, record.id))  # connected since
                    except TabRefused as refused:
                        # A tab that connected while the link was down, whose queue the broker now refuses (see
                        # session_queues.py): it gets no events, as at connect; its socket closes with the session.
                        log.warning("refusing session %s of %s: %s", record.id, record.user, refused)
                        self.registry.forget(record.id)
                if self.registry.connected_sessions(user):
                    await self._consume_inbox(user)
        return len(users)

    async def _consume_inbox(self, user: str) -> None:
        await declare_inbox(self._consuming, user, self._inbox_arguments)
        inbox = self._inboxes.get(user)
        if inbox is None:
            inbox = self._inboxes[user] = EventConsumer(self._consuming, inbox_queue_name(user),
                                                        partial(self._relay.handle, user), self._dead_letters)
        await inbox.start()

    async def on_connected(self, tab: Tab) -> None:
        user = tab.user
        async with self._locks.hold(user):
            log.info("session %s of %s connected", tab.id, user)
            if (earlier := self.registry.get(tab.id)) is not None and earlier.user == user:
                # Back on a new socket before its old one was seen to go: what the old socket was
                # sent unproven goes back to the queue, to come again on this one.
                for message in self._show.release(earlier):
                    await _requeue(message)
            record = self.registry.connected(tab.id, user, tab.thread_id)
            self._departures_owed.discard(tab.id)
            await self._replay(record)
            await self._tabs.join_broadcasts(tab.id)
            try:
                async with self._link.while_up():
                    # The session's queue first: the inbox relays only to connected session queues. What
                    # the tab was not proven to read before it dropped went back to that queue, ahead of
                    # anything newer, and the tab is shown the inbox's events through its queue until it
                    # has caught up.
                    await self._sessions.connect(record, partial(self._show.handle, tab.id))
                    if user not in self._inboxes:
                        await self._consume_inbox(user)
            except TabRefused:
                self.registry.forget(tab.id)  # the port closes the tab (tabs.py); nothing to clean
                raise
            except LINK_ERRORS as exc:
                log.info("session %s waits for the broker link (%s)", tab.id, type(exc).__name__)

    async def _replay(self, record: SessionRecord) -> None:
        """Show again the live broadcasts the tab was not proven to read before it dropped (they come
        through no queue of its own). The repeat carries the same message id, so the frontend keeps
        one copy."""
        try:
            await self._show.replay(record, record.take_replay())
        except Exception:
            log.exception("showing live broadcasts again in session %s failed", record.id)

    async def on_disconnected(self, tab: Tab) -> None:
        async with self._locks.hold(tab.user):
            log.info("session %s disconnected", tab.id)
            record = self.registry.get(tab.id)
            gone_user = self.registry.disconnected(tab.id, at=time.monotonic())
            if record is not None:
                try:
                    async with self._link.while_up():
                        await self._sessions.disconnect(record)  # the message in hand is finished first
                except LINK_ERRORS:
                    self._departures_owed.add(record.id)  # finished when the link is back
                # What the tab was not proven to read goes back to its queue, in order: it is shown
                # again if the tab returns, and handed to the user's inbox if it does not.
                for message in self._show.release(record):
                    await _requeue(message)
                self._grace.start(record.id)
            if gone_user is not None and (inbox := self._inboxes.pop(gone_user, None)):
                await inbox.stop()
                await self._relay.release(gone_user)

    async def _hand_back(self, session_id: str) -> None:
        """A tab that did not return within the grace: the user's events it holds go back to their
        inbox, for their other or next tabs (its own session and thread events keep waiting for it)."""
        record = self.registry.get(session_id)
        if record is None:
            return
        async with self._locks.hold(record.user):
            if record.connected or self._grace.running(session_id):
                return  # back, or back and gone again, with a grace of its own
            try:
                async with self._link.while_up():
                    await self._sessions.hand_back(record)
            except Exception:
                # The session's removal after its timeout hands them back then.
                log.exception("handing the events of session %s back to its user's inbox failed", session_id)

    async def sweep(self) -> None:
        """Remove the queues of sessions the chat has deleted (their timeout passed), and catch up on
        disconnects that overtook their own connect (a tab closed while it was still opening)."""
        if not self.live:
            return  # its broker work would wait for the link; the next sweep after it is back does it
        for record in self.registry.sessions():
            if self._tabs.socket(record.id) is None:  # the session is deleted
                async with self._locks.hold(record.user):
                    await self._remove(record)
            elif record.connected and not self._tabs.is_live(record.id):
                await self.on_disconnected(Tab(record.id, record.user, record.thread_id))

    async def _remove(self, record: SessionRecord) -> None:
        try:
            await self._sessions.remove(record)
        finally:
            self.registry.forget(record.id)

    async def close(self) -> None:
        self._grace.close()
        if self._taking_up is not None:
            self._taking_up.cancel()
        await self._broadcasts.stop()
        for inbox in self._inboxes.values():
            await inbox.stop()
        await self._relay.release_all()
        await self._sessions.close()


async def _requeue(message: AbstractIncomingMessage) -> None:
    # When the channel has closed, the broker has put the message back by itself.
    with contextlib.suppress(ChannelInvalidStateError, AMQPError):
        await message.nack(requeue=True)
