"""Handling one event from a session's queue: show it in that session (routing.decide_session says
whether), then acknowledge it."""

from __future__ import annotations

import asyncio
import logging
import time

from aio_pika.abc import AbstractIncomingMessage
from aiormq import spec
from chainlit.session import WebsocketSession
from pamqp.common import FieldTable

from services.chat import render
from services.chat.inbox_relay import REQUEUE_DELAY_SECONDS
from services.chat.routing import SessionDecision, decide_session
from services.chat.session_registry import SessionRegistry
from shared.events import Event
from shared.frames import ConfirmedPublisher
from shared.topology import DEAD_LETTER_EXCHANGE, REASON_HEADER, RELAYED_FOR_HEADER

log = logging.getLogger(__name__)


class SessionDelivery:
    def __init__(self, registry: SessionRegistry, publisher: ConfirmedPublisher, render_attempts: int) -> None:
        self._registry = registry
        self._publisher = publisher
        self._render_attempts = render_attempts
        self._failures: dict[str, int] = {}

    async def handle(self, session_id: str, event: Event, message: AbstractIncomingMessage) -> None:
        record = self._registry.get(session_id)
        session = WebsocketSession.get_by_id(session_id)
        if record is None or session is None or not record.connected or not render.is_live(session):
            # The tab just went away: the event waits in its queue for it to come back.
            await asyncio.sleep(REQUEUE_DELAY_SECONDS)
            await message.nack(requeue=True)
            return
        relayed_for = (message.headers or {}).get(RELAYED_FOR_HEADER)
        decision = decide_session(event, record, relayed_for if isinstance(relayed_for, str) else None)
        if decision is SessionDecision.REJECT:
            log.error("event %s reached session %s, which it is not for; showing it to nobody", event.id, session_id)
            await message.ack()
            return
        if decision is SessionDecision.SHOW:
            if not await self._show(session, event):
                await self._retry_or_give_up(event, message)
                return
            # Only when shown now: marking an already shown copy again would put the event twice in
            # the record's replay, and a reconnect would emit it twice.
            record.mark_shown(event, at=time.monotonic())
        await message.ack()

    async def show_here(self, user: str, event: Event) -> bool:
        """Show an event from `user`'s inbox in their tabs connected to this replica that lack it; True
        when at least one showed it. A tab that fails to render gets it again from its own queue, where
        the relayed copy arrives."""
        shown = False
        for record in self._registry.connected_sessions(user):
            session = WebsocketSession.get_by_id(record.id)
            if record.has_shown(event.id) or session is None or not render.is_live(session):
                continue
            if await self._show(session, event):
                record.mark_shown(event, at=time.monotonic())
                shown = True
        return shown

    async def _show(self, session: WebsocketSession, event: Event) -> bool:
        try:
            await render.show(session, event)
        except Exception:
            log.exception("rendering event %s in session %s failed", event.id, session.id)
            return False
        self._failures.pop(event.id, None)
        return True

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
