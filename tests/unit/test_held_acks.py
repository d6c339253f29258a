"""The bookkeeping of held inbox acks: one held delivery per user, acknowledged when the user's next
event is handled, when the hold runs out, or when the replica releases it."""

from __future__ import annotations

from typing import cast

import pytest
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelInvalidStateError

from herald.chat.held_acks import HeldAcks
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


class FakeDelivery:
    """Counts its acks; its channel may be closed, as after a reconnect."""

    def __init__(self, channel_open: bool = True) -> None:
        self.acks = 0
        self._channel_open = channel_open

    async def ack(self) -> None:
        if not self._channel_open:
            raise ChannelInvalidStateError("closed")
        self.acks += 1


def message(delivery: FakeDelivery) -> AbstractIncomingMessage:
    return cast(AbstractIncomingMessage, delivery)


async def test_the_next_event_acknowledges_the_one_held_before_it() -> None:
    acks = HeldAcks(hold_seconds=60)
    first, second, other = FakeDelivery(), FakeDelivery(), FakeDelivery()  # the last one is bob's
    await acks.ack("ann", message(first))
    await acks.ack("bob", message(other))
    assert (first.acks, other.acks) == (0, 0)
    await acks.ack("ann", message(second))
    assert (first.acks, second.acks, other.acks) == (1, 0, 0)
    assert acks.holding("ann") is message(second)
    await acks.release("ann")
    await acks.release("ann")  # nothing held any more
    assert (second.acks, acks.holding("ann")) == (1, None)
    await acks.release_all()
    assert other.acks == 1


async def test_a_hold_runs_out() -> None:
    acks = HeldAcks(hold_seconds=0.05)
    held = FakeDelivery()
    await acks.ack("ann", message(held))
    await wait_until(lambda: held.acks == 1, timeout=5, what="the hold to run out")
    assert acks.holding("ann") is None
    await acks.release("ann")
    assert held.acks == 1


async def test_an_ack_whose_channel_closed_is_dropped() -> None:
    """The broker has put that delivery back in the inbox: holding the next one goes on as usual."""
    acks = HeldAcks(hold_seconds=60)
    stale, fresh = FakeDelivery(channel_open=False), FakeDelivery()
    await acks.ack("ann", message(stale))
    await acks.ack("ann", message(fresh))
    assert acks.holding("ann") is message(fresh)
    await acks.release_all()
    assert (stale.acks, fresh.acks) == (0, 1)
