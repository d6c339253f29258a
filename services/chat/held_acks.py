"""Acknowledging a user's inbox deliveries one event late, so that an online user's inbox does not empty
on the broker's disk after every event.

Why: inboxes are classic queues v2 (docs/architecture.md). RabbitMQ keeps a v2 queue's index in segment
files of 4,096 entries and deletes a segment's file as soon as its last entry is acknowledged; the next
message creates it again (open, preallocate, write a header, sync, close, then unlink). An online user's
inbox empties after every event, so every event paid for a file created and deleted: in the benchmark's
#3 (500 events/s over 100 online users) that was 15-20 % of a core of the broker's CPU, which was then
the most loaded process (docs/benchmarks.md). Holding back the ack of the newest handled delivery until
the user's next event is handled, or until HOLD_SECONDS pass without one, keeps one entry in the
segment while a user's events flow. The broker's queue-length limit and message TTL count ready messages
only, so the held delivery changes neither.

What it costs: a held delivery has been handled (shown here, relayed and confirmed) but is not yet
acknowledged. If this replica's broker channel closes within the hold, the broker hands it out again:
tabs that showed it skip it (session_registry.py's record of shown ids); after a crash of this replica,
its tabs reconnect elsewhere and are shown it again, under the same message id, which Chainlit's
frontend updates in place. Nothing is lost: the ack comes later, never earlier, than before.
"""

from __future__ import annotations

import asyncio
import logging

from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

log = logging.getLogger(__name__)

# Long enough to span the gaps between a busy user's events, short enough that a crash hands out
# again only what a user was shown in the last few seconds.
HOLD_SECONDS = 5.0


class HeldAcks:
    """At most one handled, unacknowledged delivery per user."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS) -> None:
        self._hold_seconds = hold_seconds
        self._held: dict[str, tuple[AbstractIncomingMessage, asyncio.TimerHandle]] = {}
        self._releasing: set[asyncio.Task[None]] = set()  # acks sent when a hold ran out

    def holding(self, user: str) -> AbstractIncomingMessage | None:
        held = self._held.get(user)
        return held[0] if held else None

    async def ack(self, user: str, message: AbstractIncomingMessage) -> None:
        """Hold `message`, the user's newest handled delivery, and acknowledge the one held before it."""
        before = self._take(user)
        timer = asyncio.get_running_loop().call_later(self._hold_seconds, self._run_out, user, message)
        self._held[user] = (message, timer)
        if before is not None:
            await _ack(before)

    async def release(self, user: str) -> None:
        """Acknowledge the user's held delivery now: their inbox consumer has stopped."""
        if (held := self._take(user)) is not None:
            await _ack(held)

    async def release_all(self) -> None:
        for user in list(self._held):
            await self.release(user)
        if self._releasing:
            await asyncio.gather(*self._releasing)

    def _take(self, user: str) -> AbstractIncomingMessage | None:
        held = self._held.pop(user, None)
        if held is None:
            return None
        message, timer = held
        timer.cancel()
        return message

    def _run_out(self, user: str, message: AbstractIncomingMessage) -> None:
        if self.holding(user) is not message:
            return
        self._take(user)
        releasing = asyncio.create_task(_ack(message))
        self._releasing.add(releasing)
        releasing.add_done_callback(self._releasing.discard)


async def _ack(message: AbstractIncomingMessage) -> None:
    try:
        await message.ack()
    except (ChannelInvalidStateError, AMQPError) as exc:
        # The channel closed, and the broker put the delivery back in the inbox; it is handed out again,
        # and the tabs that showed it skip it.
        log.info("a held inbox delivery could not be acknowledged (%s); the broker hands it out again",
                 type(exc).__name__)
