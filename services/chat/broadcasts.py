"""Live broadcasts on one replica: each reaches the replica's own queue once and is shown to all the
replica's connected tabs at once (Tabs.show_to_all: on Chainlit one step, encoded once, sent to a
socket.io room), not copied into every session queue and rendered once per tab."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage

from herald.chat.routing import is_live_broadcast
from herald.chat.tabs import Tabs
from herald.contract.events import Event

log = logging.getLogger(__name__)


class ReplicaBroadcasts:
    def __init__(self, tabs: Tabs, shown_to_all: Callable[[Event, int], Awaitable[None]]) -> None:
        self._tabs = tabs
        self._shown_to_all = shown_to_all

    async def handle(self, event: Event, message: AbstractIncomingMessage) -> None:
        if not is_live_broadcast(event):
            log.error("event %s reached a replica's broadcast queue, which it is not for; showing it to nobody",
                      event.id)
        else:
            await self._tabs.show_to_all(event)
            # Emits are not acknowledged: each tab waits for its proof, and a tab that drops first is
            # shown it again should it return (tab_showing.py), under the same id.
            await self._shown_to_all(event, len(message.body))
        await message.ack()
