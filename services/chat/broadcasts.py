"""Live broadcasts on one replica: each reaches the replica's own queue once and is shown to all the
replica's connected tabs at once (render.show_to_all: one step, encoded once, sent to a socket.io
room), not copied into every session queue and rendered once per tab."""

from __future__ import annotations

import logging
import time

from aio_pika.abc import AbstractIncomingMessage

from services.chat import render
from services.chat.routing import is_live_broadcast
from services.chat.session_registry import SessionRegistry
from shared.events import Event

log = logging.getLogger(__name__)


class ReplicaBroadcasts:
    def __init__(self, registry: SessionRegistry) -> None:
        self._registry = registry

    async def handle(self, event: Event, message: AbstractIncomingMessage) -> None:
        if not is_live_broadcast(event):
            log.error("event %s reached a replica's broadcast queue, which it is not for; showing it to nobody",
                      event.id)
        else:
            await render.show_to_all(event)
            # Each tab may not have received it (emits are not acknowledged): it is shown again
            # should the tab reconnect soon (see SessionRecord.to_replay), under the same id.
            now = time.monotonic()
            for record in self._registry.sessions():
                if record.connected:
                    record.mark_shown(event, at=now)
        await message.ack()
