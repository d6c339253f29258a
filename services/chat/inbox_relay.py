"""Handling one event from a user's inbox: relay it to their connected sessions, persist it into a
thread, drop it, or dead-letter it (routing.decide_inbox says which).

The inbox message is acknowledged only once the relayed copy is confirmed in at least one connected
session's durable queue; until then a crash means redelivery, not loss. Each copy is then acknowledged
in its tab's queue only once the tab is proven to have read the event (tab_showing.py).

Tabs of the user on this very replica are shown the event at once, before the copy is relayed: that
saves them a broker hop (a publish, a confirm, a delivery). The copy still reaches their session
queues, where it waits for the tab's proof; the user's tabs elsewhere get it from theirs. A tab whose
queue may still hold earlier copies (it has just reconnected, or an earlier event went through its
queue) is not shown it directly: it would overtake them. When the copy finds no connected session at
all (the tab that was just shown it went away), the event goes back to the inbox unless a tab here
has proven it read it meanwhile.

An inbox message is acknowledged one event late (held_acks.py): that keeps an online user's inbox from
emptying, which costs the broker a file created and deleted per event. The replica releases a user's
held message when it stops consuming their inbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import PublishError
from aiormq import spec

from herald.chat.dead_letters import DeadLetters
from herald.chat.held_acks import HeldAcks
from herald.chat.routing import InboxDecision, decide_inbox
from herald.contract.events import Event
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import RELAYED_FOR_HEADER, SESSIONS_EXCHANGE, user_routing_key

log = logging.getLogger(__name__)

# An AMQP message id is a short string.
MAX_MESSAGE_ID_BYTES = 255

# Wait before handing back an event nobody could take, so a tab that just dropped does not spin it.
REQUEUE_DELAY_SECONDS = 0.5

Persist = Callable[[Event], Awaitable[bool]]
ShowHere = Callable[[str, Event, int], Awaitable[None]]  # (user, event, its size in bytes)
ProvenHere = Callable[[str, str], bool]  # (user, event id): a tab of the user here has proven it read it


class InboxRelay:
    def __init__(self, publisher: ConfirmedPublisher, persist: Persist | None, show_here: ShowHere,
                 proven_here: ProvenHere, acks: HeldAcks | None = None) -> None:
        self._publisher = publisher
        self._dead_letters = DeadLetters(publisher)
        self.persist = persist
        self._show_here = show_here
        self._proven_here = proven_here
        self._acks = acks or HeldAcks()

    async def handle(self, user: str, event: Event, message: AbstractIncomingMessage) -> None:
        decision = decide_inbox(event, user, has_data_layer=self.persist is not None)
        if decision is InboxDecision.PERSIST:
            assert self.persist is not None
            if await self.persist(event):
                await self._acks.ack(user, message)
                return
            decision = decide_inbox(event, user, has_data_layer=False)
        if decision is InboxDecision.REJECT:
            log.error("dead-lettering event %s: it is not addressed to %s, whose inbox held it", event.id, user)
            await self._dead_letters.send(message, f"it is not addressed to {user}, whose inbox held it")
        elif decision is InboxDecision.DROP:
            log.info("dropping event %s: its session or thread is gone and it asked for no fallback", event.id)
            await self._acks.ack(user, message)
        else:
            await self._show_here(user, event, len(message.body))
            if await self._relay(user, event, message):
                await self._acks.ack(user, message)
                return
            await asyncio.sleep(REQUEUE_DELAY_SECONDS)  # also the time a live tab needs to prove it
            if self._proven_here(user, event.id):
                await self._acks.ack(user, message)
            else:
                await message.nack(requeue=True)

    async def release(self, user: str) -> None:
        """Acknowledge the user's held inbox message: this replica stopped consuming their inbox."""
        await self._acks.release(user)

    async def release_all(self) -> None:
        await self._acks.release_all()

    async def _relay(self, user: str, event: Event, message: AbstractIncomingMessage) -> bool:
        """Copy the event into every connected session queue of `user`; False when there is none."""
        properties = spec.Basic.Properties(content_type=message.content_type, message_id=copy_id(event, user),
                                           delivery_mode=2, headers={RELAYED_FOR_HEADER: user})  # persistent
        try:
            await self._publisher.publish(message.body, exchange=SESSIONS_EXCHANGE, routing_key=user_routing_key(user),
                                          properties=properties, mandatory=True)
        except PublishError:
            return False  # returned: the user's last tab went away just now
        return True


def copy_id(event: Event, user: str) -> str:
    """The message id of the copy relayed for `user`: `<event id>/<user>`.

    It names the user too: a group event is relayed for several members at once, and aiormq matches a
    returned copy to its publish by message id (see shared/frames.py). Event and user ids may each be
    128 characters, and a message id holds 255 bytes: past that the user is named by a digest.
    Nothing reads the id back: a tab decodes the event from the body."""
    readable = f"{event.id}/{user}"
    if len(readable) <= MAX_MESSAGE_ID_BYTES:  # ids are ASCII (shared/events.py): a character is a byte
        return readable
    return f"{event.id}/{hashlib.sha256(user.encode()).hexdigest()[:32]}"
