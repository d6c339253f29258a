"""Every way the chat gives up on a message ends in the dead letters with `x-herald-reason`, on a real
broker: poison in each kind of queue the chat consumes, poison left in a departing tab's queue, and an
inbox event addressed to someone else. (The other paths are tested where they happen: render
failures in test_render_failures.py; the notifier's "another user's session", and the broker's own
`expired`, in tests/e2e/test_routing.py; the broker's `maxlen` in test_inbox_full_is_dead_lettered below.)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from herald.chat.dead_letters import DeadLetters
from herald.chat.event_consumer import EventConsumer
from herald.chat.inbox_relay import InboxRelay
from herald.chat.session_queues import SessionQueues
from herald.chat.session_registry import SessionRecord
from herald.contract.declarations import declare_exchanges, declare_inbox, declare_queue, declare_replica_queue
from herald.contract.events import Event, EventRequest
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import InboxArguments, session_queue_arguments, session_queue_name
from tests.support.broker_probe import dead_letter_reasons
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

POISON = b'{"v": 1, "id": "half an event"'


@dataclass
class Chat:
    """The channels and dead-letter route of a chat replica, as replica.py makes them."""

    connection: AbstractRobustConnection
    consuming: AbstractChannel
    dead_letters: DeadLetters


@pytest.fixture
async def chat(amqp_url: str) -> AsyncIterator[Chat]:
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        consuming = await connection.channel()
        publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_exchanges(publishing)
        yield Chat(connection, consuming, DeadLetters(ConfirmedPublisher(publishing)))


async def reason_for(amqp_url: str, message_id: str) -> str:
    """The dead-lettered message's reason, once it is there."""
    reasons: dict[str, str] = {}

    async def arrived() -> bool:
        reasons.update(await dead_letter_reasons(amqp_url))
        return message_id in reasons

    await eventually(arrived, what=f"{message_id} in the dead letters")
    return reasons[message_id]


async def queue_is_empty(channel: AbstractChannel, queue: AbstractQueue) -> bool:
    declared = await declare_queue(channel, queue.name, queue.arguments or {}, exclusive=queue.exclusive)
    return declared.declaration_result.message_count == 0


async def an_inbox(channel: AbstractChannel) -> AbstractQueue:
    return await declare_inbox(channel, f"poisoned-{uuid.uuid4().hex[:8]}", InboxArguments(60, 100))


async def a_replica_queue(channel: AbstractChannel) -> AbstractQueue:
    # Its queue of live broadcasts has no dead-letter route: a rejected message would just vanish.
    return await declare_replica_queue(channel, uuid.uuid4().hex)


async def a_session_queue(channel: AbstractChannel) -> AbstractQueue:
    # Its dead-letter route leads into the owner's inbox, not to the dead letters.
    owner = f"poisoned-{uuid.uuid4().hex[:8]}"
    return await declare_queue(channel, session_queue_name(str(uuid.uuid4())), session_queue_arguments(owner, 60))


@pytest.mark.parametrize("make_queue", [an_inbox, a_replica_queue, a_session_queue],
                         ids=["inbox", "replica-queue", "session-queue"])
async def test_poison_is_dead_lettered_with_its_reason_from_every_queue_the_chat_consumes(
        chat: Chat, amqp_url: str, make_queue: Callable[[AbstractChannel], Awaitable[AbstractQueue]]) -> None:
    queue = await make_queue(chat.consuming)
    handled: list[Event] = []

    async def handler(event: Event, message: AbstractIncomingMessage) -> None:
        handled.append(event)

    consumer = EventConsumer(chat.consuming, queue.name, handler, chat.dead_letters)
    await consumer.start()
    poison_id = f"poison-{uuid.uuid4().hex}"
    await chat.consuming.default_exchange.publish(aio_pika.Message(POISON, message_id=poison_id), queue.name)

    assert (await reason_for(amqp_url, poison_id)).startswith("not a Herald event: the message: Invalid JSON")
    await consumer.stop()
    assert handled == [] and await queue_is_empty(chat.consuming, queue)  # acked where it came from


async def test_poison_left_in_a_departing_tabs_queue_is_dead_lettered_with_its_reason(
        chat: Chat, amqp_url: str) -> None:
    record = SessionRecord(str(uuid.uuid4()), f"departing-{uuid.uuid4().hex[:8]}", thread_id=None)
    queues = SessionQueues(chat.connection, chat.consuming, 60, has_data_layer=False, dead_letters=chat.dead_letters)
    queue = await declare_queue(chat.consuming, session_queue_name(record.id), session_queue_arguments(record.user, 60))
    poison_id = f"poison-{uuid.uuid4().hex}"
    await chat.consuming.default_exchange.publish(aio_pika.Message(POISON, message_id=poison_id), queue.name)

    await queues._sort_out(record, queue)  # as when the departed tab's grace runs out

    assert (await reason_for(amqp_url, poison_id)).startswith("not a Herald event")
    assert await queue_is_empty(chat.consuming, queue)


async def test_an_inbox_event_for_someone_else_is_dead_lettered_with_its_reason(chat: Chat, amqp_url: str) -> None:
    inbox = await an_inbox(chat.consuming)
    owner = inbox.name.removeprefix("herald.inbox.")
    stray = EventRequest.model_validate({"target": {"user": "somebody-else"}, "body": "not for you"}).to_event("it")
    await chat.consuming.default_exchange.publish(aio_pika.Message(stray.to_wire(), message_id=stray.id), inbox.name)
    message = await inbox.get(timeout=5)

    async def never_shown(user: str, event: Event, size: int) -> None:
        raise AssertionError(f"{event.id} was shown to {user}")

    def never_proven(user: str, event_id: str) -> bool:
        raise AssertionError(f"{event_id} was looked for in {user}'s tabs")

    relay = InboxRelay(ConfirmedPublisher(await chat.connection.channel(publisher_confirms=True,
                                                                         on_return_raises=True)),
                       persist=None, show_here=never_shown, proven_here=never_proven)
    await relay.handle(owner, stray, message)

    assert await reason_for(amqp_url, stray.id) == f"it is not addressed to {owner}, whose inbox held it"
    assert await queue_is_empty(chat.consuming, inbox)


async def test_inbox_full_is_dead_lettered(chat: Chat, amqp_url: str) -> None:
    """The broker's own path: the inbox refuses the event over its length, and records `maxlen`."""
    publishing = await chat.connection.channel(publisher_confirms=True)
    inbox = await declare_inbox(publishing, f"full-{uuid.uuid4().hex[:8]}", InboxArguments(60, max_length=1))
    first, refused = f"kept-{uuid.uuid4().hex}", f"refused-{uuid.uuid4().hex}"
    try:
        await publishing.default_exchange.publish(aio_pika.Message(b"{}", message_id=first), inbox.name)
        with pytest.raises(aio_pika.exceptions.DeliveryError):  # the nack the notifier answers 503 for
            await publishing.default_exchange.publish(aio_pika.Message(b"{}", message_id=refused), inbox.name)
        assert await reason_for(amqp_url, refused) == "maxlen"
    finally:
        # A full inbox bound to the persistent broadcasts refuses every one: on the broker the run's other
        # tests share, a persistent broadcast published meanwhile was answered 503.
        await inbox.delete(if_unused=False, if_empty=False)
