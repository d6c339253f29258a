"""An event a tab keeps failing to render goes back to the tab's queue until the last attempt, then to
the dead letters with the reason, on a real broker (services/chat/tab_showing.py)."""

from __future__ import annotations

import uuid

import aio_pika
import pytest

from herald.chat.ackable_events import AckableEvents
from herald.chat.session_registry import SessionRegistry
from herald.chat.tab_showing import TabShowing
from herald.contract.declarations import declare_exchanges
from herald.contract.events import EventRequest
from herald.contract.frames import ConfirmedPublisher
from tests.support.broker_probe import dead_letter_reasons
from tests.support.fake_tabs import FakeTabs

pytestmark = pytest.mark.integration


async def test_the_last_failed_render_dead_letters_the_event_with_the_reason(amqp_url: str) -> None:
    event = EventRequest.model_validate({"target": {"user": "rita"}, "body": "never renders"}).to_event("it")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_exchanges(channel)
        tab_queue = await channel.declare_queue(f"render-failures.{uuid.uuid4().hex}", durable=True)
        await channel.default_exchange.publish(aio_pika.Message(event.to_wire(), message_id=event.id),
                                               routing_key=tab_queue.name)
        publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)  # as replica.py's
        showing = TabShowing(SessionRegistry(), FakeTabs(), ConfirmedPublisher(publishing), render_attempts=2,
                             ackable=AckableEvents())

        first = await tab_queue.get(timeout=5)
        await showing._retry_or_give_up(event, first)  # the first failure: back to the tab's queue
        second = await tab_queue.get(timeout=5)
        assert second.message_id == event.id and second.redelivered
        await showing._retry_or_give_up(event, second)  # the last: dead-lettered, and gone from the queue

        assert await tab_queue.get(fail=False) is None
    assert (await dead_letter_reasons(amqp_url)).get(event.id) == "rendering failed 2 times"
