"""What the inbox does with an event when its relayed copy finds no connected session, on a real broker
(the copy is published `mandatory` and comes back): it waits in the inbox for the user's next tab,
unless a tab on this replica was shown it just now, which counts as delivered."""

from __future__ import annotations

import uuid

import aio_pika
import pytest

from services.chat.inbox_relay import InboxRelay
from shared.events import Event, EventRequest
from shared.frames import ConfirmedPublisher
from shared.topology import InboxArguments, declare_exchanges, declare_inbox, user_routing_key

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("shown_here", "left_in_inbox"), [
    (False, 1),  # nobody has it: back to the inbox for the user's next tab
    (True, 0),  # a local tab showed it and then went away: delivered, as if it had taken its copy
])
async def test_a_relay_nobody_takes(amqp_url: str, shown_here: bool, left_in_inbox: int) -> None:
    user = f"relay-{uuid.uuid4().hex[:8]}"
    event = EventRequest.model_validate({"target": {"user": user}, "body": "hello"}).to_event("it")
    shown: list[str] = []

    async def show_here(to: str, shown_event: Event) -> bool:
        shown.append(shown_event.id)
        return shown_here

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        events = await declare_exchanges(channel)
        inbox = await declare_inbox(channel, user, InboxArguments(ttl_seconds=60, max_length=100))
        await events.publish(aio_pika.Message(event.to_wire(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                             user_routing_key(user))
        message = await inbox.get(timeout=5)
        relaying = await connection.channel(publisher_confirms=True, on_return_raises=True)  # as delivery.py's
        relay = InboxRelay(ConfirmedPublisher(relaying), None, show_here)

        await relay.handle(user, event, message)
    # Counted once the connection is closed: its acks and nacks have then reached the queue (a count taken
    # on the open channel can miss a nack just sent), and a message it neither acked nor nacked is back.
    assert shown == [event.id]
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        left = await channel.declare_queue(inbox.name, passive=True)
        assert left.declaration_result.message_count == left_in_inbox
