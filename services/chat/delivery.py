"""Herald's delivery inside a Chainlit app: inbox consumers, session bookkeeping and rendering.

Embedding it takes two lines in any Chainlit app, and leaves the app's own hooks alone:

    from services.chat.delivery import attach
    attach()

Under `chainlit run` it starts and stops with Chainlit's server. When Chainlit is mounted in a parent
FastAPI app (whose lifespan Chainlit's does not join), enter `running(settings)` in the parent lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from chainlit.config import config as chainlit_config
from chainlit.session import WebsocketSession
from pydantic import ValidationError

from services.chat import render
from services.chat.config import ChatSettings
from services.chat.inbox_consumer import InboxConsumers
from services.chat.routing import recipients
from services.chat.session_hooks import watch_sessions
from services.chat.session_registry import SessionRecord, SessionRegistry
from shared.events import Event
from shared.topology import InboxArguments, declare_dead_letters, declare_events_exchange

log = logging.getLogger("herald.chat")

# Wait before handing back an event nobody could show, so a tab that just dropped does not spin it.
REQUEUE_DELAY_SECONDS = 0.5


class Delivery:
    def __init__(self, settings: ChatSettings) -> None:
        self.settings = settings
        self.registry = SessionRegistry()
        self._failures: Counter[str] = Counter()
        self._consumers: InboxConsumers | None = None

    async def on_connected(self, session: WebsocketSession) -> None:
        assert session.user is not None
        if self.registry.connected(session.id, session.user.identifier, session.thread_id):
            assert self._consumers is not None
            await self._consumers.start(session.user.identifier)

    async def on_disconnected(self, session: WebsocketSession) -> None:
        user = self.registry.disconnected(session.id)
        if user is not None:
            assert self._consumers is not None
            await self._consumers.stop(user)

    async def handle(self, user: str, message: AbstractIncomingMessage) -> None:
        try:
            event = Event.from_wire(message.body)
        except ValidationError:
            log.error("dead-lettering an undecodable message from %s's inbox", user)
            await message.reject(requeue=False)
            return
        chosen = recipients(event, user, self.registry)
        if chosen.misaddressed:
            log.error("dead-lettering event %s: it is not addressed to the inbox's owner", event.id)
            await message.reject(requeue=False)
            return
        shown, failed = await self._show(event, chosen.show)
        if shown + chosen.already_shown > 0:
            self._failures.pop(event.id, None)
            await message.ack()
        elif failed and self._count_failure(event.id):
            log.error("dead-lettering event %s after %d failed renders", event.id, self.settings.render_attempts)
            await message.reject(requeue=False)
        else:
            await asyncio.sleep(REQUEUE_DELAY_SECONDS)
            await message.nack(requeue=True)

    async def _show(self, event: Event, records: list[SessionRecord]) -> tuple[int, int]:
        shown = failed = 0
        for record in records:
            session = WebsocketSession.get_by_id(record.id)
            if session is None:
                self.registry.forget(record.id)
                continue
            if not render.is_live(session):
                continue
            try:
                await render.show(session, event)
            except Exception:
                log.exception("rendering event %s in session %s failed", event.id, record.id)
                failed += 1
                continue
            record.mark_shown(event.id)
            shown += 1
        return shown, failed

    def _count_failure(self, event_id: str) -> bool:
        self._failures[event_id] += 1
        if self._failures[event_id] >= self.settings.render_attempts:
            del self._failures[event_id]
            return True
        return False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        connection = await aio_pika.connect_robust(
            self.settings.amqp_url, client_properties={"connection_name": "herald-chat"})
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.settings.inbox_prefetch)
            await declare_events_exchange(channel)
            await declare_dead_letters(channel)
            self._consumers = InboxConsumers(channel, InboxArguments.from_settings(self.settings), self.handle)
            restore_hooks = watch_sessions(self.on_connected, self.on_disconnected)
            try:
                yield
            finally:
                restore_hooks()
                await self._consumers.stop_all()
        finally:
            await connection.close()


@asynccontextmanager
async def running(settings: ChatSettings | None = None) -> AsyncIterator[Delivery]:
    delivery = Delivery(settings or ChatSettings())
    if delivery.settings.session_timeout_seconds:
        chainlit_config.project.session_timeout = delivery.settings.session_timeout_seconds
    async with delivery.running():
        log.info("Herald delivery is running")
        yield delivery


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
