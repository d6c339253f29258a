"""What the inbox does with an event when its relayed copy finds no connected session, on a real broker
(the copy is published `mandatory` and comes back): it waits in the inbox for the user's next tab,
unless a tab on this replica was shown it just now and has proven it read it, which counts as
delivered. A tab that was shown it but has not answered may never have received it. And how the inbox's
acks are held back one event (services/chat/held_acks.py).

The relay holds the ack of the newest delivery it handled; the tests release it, as the replica does
when it stops consuming the user's inbox, before they count what is left in the inbox."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import pytest

from herald.chat.held_acks import HeldAcks
from herald.chat.inbox_relay import InboxRelay, ProvenHere, ShowHere
from herald.contract.declarations import declare_exchanges, declare_inbox, declare_queue
from herald.contract.events import Event, EventRequest
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import SESSIONS_EXCHANGE, InboxArguments, user_routing_key
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


async def shown_nowhere(to: str, shown_event: Event, size: int) -> None:
    pass


def proven_nowhere(to: str, event_id: str) -> bool:
    return False


async def relay_on(connection: aio_pika.abc.AbstractConnection, show_here: ShowHere,
                   acks: HeldAcks | None = None, proven_here: ProvenHere = proven_nowhere) -> InboxRelay:
    relaying = await connection.channel(publisher_confirms=True, on_return_raises=True)  # as replica.py's
    return InboxRelay(ConfirmedPublisher(relaying), None, show_here, proven_here, acks)


INBOX = InboxArguments(ttl_seconds=60, max_length=100)


async def put_in(channel: aio_pika.abc.AbstractChannel, queue: str, event: Event) -> None:
    """As the events exchange would: persistent, with the event's id."""
    await channel.default_exchange.publish(
        aio_pika.Message(event.to_wire(), message_id=event.id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), queue)


async def messages_left(amqp_url: str, queue: str) -> int:
    """Counted on a fresh connection, once the test's own is closed: its acks and nacks have then reached
    the queue (a count taken on the open channel can miss a nack just sent), and a message it neither
    acked nor nacked is back."""
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        count = (await channel.declare_queue(queue, passive=True)).declaration_result.message_count
    assert count is not None
    return count


async def connected_tab(channel: aio_pika.abc.AbstractChannel, user: str) -> aio_pika.abc.AbstractQueue:
    """A tab queue of `user`'s, bound as a connected tab's is."""
    tab = await declare_queue(channel, f"relay-tab-{uuid.uuid4().hex[:8]}", {})
    await tab.bind(SESSIONS_EXCHANGE, user_routing_key(user))
    return tab


@pytest.mark.parametrize(("proven", "left_in_inbox"), [
    (False, 1),  # nobody has it, or a tab that went away was shown it unproven: back to the inbox
    (True, 0),  # a local tab showed it, proved it read it, then went away: delivered
])
async def test_a_relay_nobody_takes(amqp_url: str, proven: bool, left_in_inbox: int) -> None:
    user = f"relay-{uuid.uuid4().hex[:8]}"
    event = EventRequest.model_validate({"target": {"user": user}, "body": "hello"}).to_event("it")
    shown: list[str] = []

    async def show_here(to: str, shown_event: Event, size: int) -> None:
        shown.append(shown_event.id)

    def proven_here(to: str, event_id: str) -> bool:
        return proven and event_id in shown

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        events = await declare_exchanges(channel)
        inbox = await declare_inbox(channel, user, INBOX)
        await events.publish(aio_pika.Message(event.to_wire(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                             user_routing_key(user))
        message = await inbox.get(timeout=5)
        relay = await relay_on(connection, show_here, proven_here=proven_here)

        await relay.handle(user, event, message)
        await relay.release(user)
    assert shown == [event.id]
    assert await messages_left(amqp_url, inbox.name) == left_in_inbox


async def test_one_event_relayed_for_two_users_at_once_is_returned_for_the_right_one(amqp_url: str) -> None:
    """A group event reaches two members' inboxes, and one replica relays both copies at once. aiormq
    matches a returned copy to its publish by message id, so both copies carrying the event's id made the
    return of the copy nobody took fail the other member's relay, and count the first as delivered."""
    gone, present = (f"relay-{name}-{uuid.uuid4().hex[:8]}" for name in ("gone", "present"))
    event = EventRequest.model_validate({"target": {"group": "both"}, "body": "hello"}).to_event("it")

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_exchanges(channel)
        inboxes = {user: await declare_inbox(channel, user, INBOX)
                   for user in (gone, present)}
        tab = await connected_tab(channel, present)
        messages = {}
        for user, inbox in inboxes.items():
            await put_in(channel, inbox.name, event)
            messages[user] = await inbox.get(timeout=5)
        relay = await relay_on(connection, shown_nowhere)

        await asyncio.gather(relay.handle(gone, event, messages[gone]), relay.handle(present, event, messages[present]))
        await relay.release_all()
    left = {user: await messages_left(amqp_url, inbox.name) for user, inbox in inboxes.items()}
    in_tab = await messages_left(amqp_url, tab.name)
    assert left == {gone: 1, present: 0}  # `gone` gets it with their next tab; `present` has it
    assert in_tab == 1


async def test_an_event_with_the_longest_ids_is_relayed(amqp_url: str) -> None:
    """A copy's message id names the event and the user; both may be 128 characters, and an AMQP message
    id holds 255 bytes. The copy of such an event could not be sent: the relay failed, the inbox message
    went back to the queue, and the user's inbox retried it forever, holding up their later events."""
    user = f"relay-{uuid.uuid4().hex}".ljust(128, "u")
    event = EventRequest.model_validate({"id": "e" * 128, "target": {"user": user}, "body": "hello"}).to_event("it")

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_exchanges(channel)
        inbox = await declare_inbox(channel, user, INBOX)
        tab = await connected_tab(channel, user)
        await put_in(channel, inbox.name, event)
        message = await inbox.get(timeout=5)
        relay = await relay_on(connection, shown_nowhere)

        await relay.handle(user, event, message)
        await relay.release(user)
        copy = await tab.get(timeout=5)
        assert Event.from_wire(copy.body).id == event.id
        await copy.ack()
    assert await messages_left(amqp_url, inbox.name) == 0


async def test_the_newest_inbox_delivery_is_acknowledged_one_event_late(amqp_url: str) -> None:
    """Handling an inbox event acknowledges the one handled before it and holds its own ack: the inbox
    keeps one entry while the user's events flow (held_acks.py says why). A held delivery goes back to
    the inbox if the channel closes first, to be handed out again; once the hold runs out it is gone."""
    user = f"relay-{uuid.uuid4().hex[:8]}"
    events = [EventRequest.model_validate({"target": {"user": user}, "body": f"event {n}"}).to_event("it")
              for n in range(3)]
    long_hold, short_hold = HeldAcks(hold_seconds=60), HeldAcks(hold_seconds=0.3)

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_exchanges(channel)
        inbox = await declare_inbox(channel, user, INBOX)
        tab = await connected_tab(channel, user)
        for event in events:
            await put_in(channel, inbox.name, event)
        relay = await relay_on(connection, shown_nowhere, long_hold)
        for event in events[:2]:
            await relay.handle(user, event, await inbox.get(timeout=5))
        held = long_hold.holding(user)
        assert held is not None and Event.from_wire(held.body).id == events[1].id
    # The channel closed while the second event's ack was held: it is back, before the third.
    assert await messages_left(amqp_url, inbox.name) == 2
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        inbox = await channel.declare_queue(inbox.name, passive=True)
        await long_hold.release(user)  # its channel is gone: nothing to acknowledge, and no error
        relay = await relay_on(connection, shown_nowhere, short_hold)
        for event in events[1:]:
            message = await inbox.get(timeout=5)
            assert Event.from_wire(message.body).id == event.id
            await relay.handle(user, event, message)
        await wait_until(lambda: short_hold.holding(user) is None, timeout=5, what="the hold to run out")
        await short_hold.release_all()  # waits for the ack sent when the hold ran out
        tab = await channel.declare_queue(tab.name, passive=True)
        copies = [Event.from_wire((await tab.get(timeout=5)).body).id for _ in range(4)]
    assert copies == [events[0].id, events[1].id, events[1].id, events[2].id]  # the second was relayed again
    assert await messages_left(amqp_url, inbox.name) == 0
