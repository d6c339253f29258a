"""Showing events in this replica's tabs, and acknowledging each AMQP message once its tab is proven to
have read the event (the tabs port, tabs.py: on Chainlit, socket_liveness.py gives the proof).

An event comes from a session's queue (`handle`: routing.decide_session says whether to show it),
straight from the user's inbox (`show_here`), or as a live broadcast (`shown_to_all`). A message whose
event was shown waits unacknowledged in the tab's window of unproven events (unproven.py) until the
tab answers a ping queued after it. Until then the broker keeps it for the tab: when the tab drops, it
goes back to the tab's queue (`release`), and after a crash of this replica the broker puts it back by
itself. The tab queue consumer's prefetch bounds how many messages a stalled tab holds; the rest wait
in its queue.
"""

from __future__ import annotations

import asyncio
import logging

from aio_pika.abc import AbstractIncomingMessage
from aiormq import spec
from aiormq.exceptions import ChannelInvalidStateError
from pamqp.common import FieldTable

from herald.chat.ackable_events import AckableEvents
from herald.chat.inbox_relay import REQUEUE_DELAY_SECONDS
from herald.chat.routing import SessionDecision, decide_session, is_live_broadcast
from herald.chat.session_registry import SessionRecord, SessionRegistry
from herald.chat.tabs import Tabs
from herald.chat.unproven import Unproven
from herald.contract.events import Event
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import DEAD_LETTER_EXCHANGE, REASON_HEADER, RELAYED_FOR_HEADER

log = logging.getLogger(__name__)


class TabShowing:
    def __init__(self, registry: SessionRegistry, tabs: Tabs, publisher: ConfirmedPublisher,
                 render_attempts: int, ackable: AckableEvents) -> None:
        self._registry = registry
        self._tabs = tabs
        self._ackable = ackable  # events with ack buttons, kept to show an acknowledgement of them
        self._publisher = publisher
        self._render_attempts = render_attempts
        self._failures: dict[str, int] = {}
        self._acking: set[asyncio.Task[None]] = set()  # acks of messages a proof settled

    async def handle(self, session_id: str, event: Event, message: AbstractIncomingMessage) -> None:
        record = self._registry.get(session_id)
        if record is None or not record.connected or not self._tabs.is_live(session_id):
            # The tab just went away: the event waits in its queue for it to come back.
            await asyncio.sleep(REQUEUE_DELAY_SECONDS)
            await message.nack(requeue=True)
            return
        record.copy_taken(event.id)
        if record.window is not None and event.id in record.window:
            await self._hold(record, event.id, message)  # shown straight from the inbox; not proven yet
            return
        relayed_for = (message.headers or {}).get(RELAYED_FOR_HEADER)
        decision = decide_session(event, record, relayed_for if isinstance(relayed_for, str) else None)
        if decision is SessionDecision.REJECT:
            log.error("event %s reached session %s, which it is not for; showing it to nobody", event.id, session_id)
            await message.ack()
        elif decision is SessionDecision.ALREADY_SHOWN:
            await message.ack()
        elif not await self._show(record, event, len(message.body), message):
            await self._retry_or_give_up(event, message)

    async def show_here(self, user: str, event: Event, size: int) -> None:
        """Show an event from `user`'s inbox in their tabs connected to this replica, straight away,
        where that keeps the tab's order: not while copies relayed earlier are still on their way
        through its queue, nor while too much is unproven in it. Those tabs get the event through
        their queue, where its relayed copy arrives."""
        for record in self._registry.connected_sessions(user):
            if record.has_shown(event.id):
                continue
            if record.awaiting_copy is not None or not self._tabs.is_live(record.id) \
                    or (record.window is not None and record.window.full()):
                record.copy_expected(event.id)
                continue
            await self._show(record, event, size, None)

    def proven_here(self, user: str, event_id: str) -> bool:
        return any(record.has_proven(event_id) for record in self._registry.connected_sessions(user))

    async def shown_to_all(self, event: Event, size: int) -> None:
        """A live broadcast was emitted to every connected tab here: each waits for its proof."""
        self._ackable.remember(event)
        for record in self._registry.sessions():
            socket = self._tabs.socket(record.id) if record.connected else None
            if socket is not None:
                await self._emitted(socket, record, event, size, None)

    async def replay(self, record: SessionRecord, broadcasts: list[Event]) -> None:
        """Show again the live broadcasts a returning tab had not been proven to read (same message id)."""
        for event in broadcasts:
            await self._show(record, event, len(event.body), None)

    def release(self, record: SessionRecord) -> list[AbstractIncomingMessage]:
        """The tab dropped: what it holds unproven, to hand back to its queue; its unproven live
        broadcasts are kept to show again should it return here."""
        entries = record.window.take_all() if record.window is not None else []
        record.window = None
        record.keep_for_replay([entry.event for entry in entries if is_live_broadcast(entry.event)])
        return [entry.held for entry in entries if entry.held is not None]

    async def _show(self, record: SessionRecord, event: Event, size: int,
                    message: AbstractIncomingMessage | None) -> bool:
        self._ackable.remember(event)
        try:
            # Shown again (a replay, a redelivery), an event the user acknowledged stays acknowledged.
            await self._tabs.show(record.id, event, self._ackable.acknowledged_by(event.id, record.user))
        except Exception:
            log.exception("rendering event %s in session %s failed", event.id, record.id)
            return False
        self._failures.pop(event.id, None)
        await self._emitted(self._tabs.socket(record.id), record, event, size, message)
        return True

    async def _emitted(self, socket: str | None, record: SessionRecord, event: Event, size: int,
                       message: AbstractIncomingMessage | None) -> None:
        mark = None if socket is None else \
            await self._tabs.emitted(socket, lambda answered: self._proven(record, socket, answered))
        if mark is None:  # the socket is gone: the emit vanished, and the message waits for the tab
            if message is not None:
                await message.nack(requeue=True)
            return
        if (at_once := record.unproven().add(event, mark, size, message)) is not None:
            self._settled(record, [at_once])

    async def _hold(self, record: SessionRecord, event_id: str, message: AbstractIncomingMessage) -> None:
        window = record.unproven()
        if window.hold(event_id, message):
            return
        held = window.held_by(event_id)
        if held is not None and _channel_closed(held):  # the broker already took that one back
            window.replace_held(event_id, message)
        else:
            await message.ack()  # a second copy of an event whose first copy waits for the proof

    def _proven(self, record: SessionRecord, socket: str, answered: int) -> None:
        # Marks count the pings of one socket: a proof from the tab's socket before a reconnect is no
        # proof for the window of the socket after it.
        if record.window is not None and self._tabs.socket(record.id) == socket:
            self._settled(record, record.window.settle(answered))
            if not record.window:
                record.window = None  # most tabs are idle most of the time: an empty window costs memory

    def _settled(self, record: SessionRecord, proven: list[Unproven[AbstractIncomingMessage]]) -> None:
        messages = []
        for entry in proven:
            record.mark_proven(entry.event.id)
            if entry.held is not None:
                messages.append(entry.held)
        if messages:
            acking = asyncio.create_task(_ack_all(messages))
            self._acking.add(acking)
            acking.add_done_callback(self._acking.discard)

    async def _retry_or_give_up(self, event: Event, message: AbstractIncomingMessage) -> None:
        failures = self._failures[event.id] = self._failures.get(event.id, 0) + 1
        if failures >= self._render_attempts:
            del self._failures[event.id]
            log.error("dead-lettering event %s after %d failed renders", event.id, failures)
            # Not reject(): a session queue dead-letters into the inbox, which would relay it again.
            reason: FieldTable = {REASON_HEADER: f"rendering failed {failures} times"}
            await self._publisher.publish(message.body, exchange=DEAD_LETTER_EXCHANGE, routing_key="", mandatory=False,
                                          properties=spec.Basic.Properties(delivery_mode=2, headers=reason,
                                                                           message_id=event.id))
            await message.ack()
        else:
            await asyncio.sleep(REQUEUE_DELAY_SECONDS)
            await message.nack(requeue=True)


def _channel_closed(message: AbstractIncomingMessage) -> bool:
    try:
        return bool(message.channel.is_closed)
    except ChannelInvalidStateError:  # aio-pika's way of saying so
        return True


async def _ack_all(messages: list[AbstractIncomingMessage]) -> None:
    for message in messages:
        try:
            await message.ack()
        except Exception as exc:  # the channel closed: the broker hands the message out again, and it is
            # then known as shown here
            log.info("acknowledging a proven message failed (%s)", type(exc).__name__)
