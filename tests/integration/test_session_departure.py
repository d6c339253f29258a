"""What a tab's queue does with the events still in it when the tab disconnects and does not return
in time (SessionQueues.hand_back), on a real broker.

An event the replica showed the tab straight from the inbox (inbox_relay.py shows local tabs first),
and the tab proved it read, still has its relayed copy in the tab's queue. Handing that copy back to
the inbox would show the event again in the user's next tab; the copies the tab has not been proven
to read go back, and its own events stay.
"""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from herald.chat.dead_letters import DeadLetters
from herald.chat.session_queues import SessionQueues
from herald.chat.session_registry import SessionRecord
from herald.contract.declarations import declare_exchanges, declare_inbox
from herald.contract.events import Event, EventRequest
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import (
    RELAYED_FOR_HEADER,
    SESSIONS_EXCHANGE,
    InboxArguments,
    session_queue_name,
    session_routing_key,
    user_routing_key,
)
from tests.support.broker_probe import consumer_count
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def event(target: dict[str, str], body: str) -> Event:
    return EventRequest.model_validate({"target": target, "body": body}).to_event("it")


async def drain(connection: aio_pika.abc.AbstractConnection, queue_name: str) -> list[str]:
    async with connection.channel() as channel:
        queue = await channel.declare_queue(queue_name, passive=True)
        bodies = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            bodies.append(Event.from_wire(message.body).body)
        return bodies


async def test_a_departed_tab_hands_back_only_what_it_has_not_shown(amqp_url: str) -> None:
    user, session = f"departing-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    record = SessionRecord(id=session, user=user, thread_id=None)
    shown_here, not_shown = event({"user": user}, "shown here"), event({"user": user}, "not shown")
    own = event({"user": user, "session": session}, "for this tab")
    record.mark_proven(shown_here.id)  # as a proof of a direct show (TabShowing.show_here) does

    release = asyncio.Event()

    async def busy_tab(_event: Event, message: AbstractIncomingMessage) -> None:
        await release.wait()  # the tab's consumer is slow: everything is still in its queue at departure
        await message.nack(requeue=True)

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        events = await declare_exchanges(channel)
        inbox = await declare_inbox(channel, user, InboxArguments(ttl_seconds=60, max_length=100))
        publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)  # as replica.py's
        queues = SessionQueues(connection, channel, session_timeout_seconds=60, has_data_layer=False,
                               dead_letters=DeadLetters(ConfirmedPublisher(publishing)))
        await queues.connect(record, busy_tab)

        sessions = await channel.get_exchange(SESSIONS_EXCHANGE)
        for relayed in (shown_here, not_shown):
            await sessions.publish(aio_pika.Message(relayed.to_wire(), headers={RELAYED_FOR_HEADER: user},
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                   user_routing_key(user))
        await events.publish(aio_pika.Message(own.to_wire(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                             session_routing_key(user, session))

        departing = asyncio.create_task(queues.disconnect(record))

        async def consumer_gone() -> bool:
            return await consumer_count(amqp_url, session_queue_name(session)) == 0

        await eventually(consumer_gone, what="the tab's consumer to be cancelled")
        release.set()
        await asyncio.wait_for(departing, timeout=10)
        await queues.hand_back(record)  # the grace passed and the tab is not back

    # Read on a connection of its own once the tab's is closed: what it acked, rejected or put back has
    # then reached the queues. A rejected copy reaches the inbox by dead-lettering, a moment later: the
    # inbox is read once something is there (the copies leave the tab's queue in order, so a wrongly
    # returned "shown here" would come first).
    async with await aio_pika.connect(amqp_url) as connection:
        async def both_settled() -> bool:
            async with connection.channel() as channel:
                counts = [(await channel.declare_queue(name, passive=True)).declaration_result.message_count
                          for name in (inbox.name, session_queue_name(session))]
            return all(counts)

        await eventually(both_settled, what="the copies handed back to reach the inbox")
        assert await drain(connection, inbox.name) == ["not shown"]
        assert await drain(connection, session_queue_name(session)) == ["for this tab"]
