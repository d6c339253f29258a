"""Giving up on a message: it goes to the dead letters with Herald's reason (`x-herald-reason`), and
only then is acknowledged where it came from.

Not `reject(requeue=False)`: the broker would record no more than "rejected" (in `x-death`), a tab's
queue dead-letters into its owner's inbox rather than to the dead letters, and a replica's queue of
live broadcasts has no dead-letter route at all. The copy is confirmed before the ack, so a crash in
between leaves the message where it was, to be given up on again, never lost.
"""

from __future__ import annotations

import logging

from aio_pika.abc import AbstractIncomingMessage
from aiormq import spec
from pamqp.common import FieldTable

from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import DEAD_LETTER_EXCHANGE, REASON_HEADER

log = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, publisher: ConfirmedPublisher) -> None:
        self._publisher = publisher  # a confirming channel's (replica.py's publishing channel)

    async def send(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Dead-letter `message` with `reason`, then ack it; raises (and leaves it unacked) when the copy
        was not confirmed."""
        headers: FieldTable = {**(message.headers or {}), REASON_HEADER: reason}  # x-death kept: where it was
        properties = spec.Basic.Properties(content_type=message.content_type, message_id=message.message_id,
                                           delivery_mode=2, headers=headers)  # persistent; no expiration
        await self._publisher.publish(message.body, exchange=DEAD_LETTER_EXCHANGE, routing_key="",
                                      properties=properties, mandatory=False)
        await message.ack()
