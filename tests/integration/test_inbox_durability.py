"""An event for a user with no connected session is kept in their inbox across a broker crash: once the
notifier's publish returned (the broker confirmed), SIGKILL to the node loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest

from herald.contract.events import Event, EventRequest
from herald.contract.topology import InboxArguments, inbox_queue_name
from herald.notifier.broker_publisher import EventPublisher
from tests.support.broker import RestartableBroker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "rabbitmq")
    broker.start()
    yield broker
    broker.stop()


async def test_a_confirmed_event_survives_a_broker_crash(broker: RestartableBroker) -> None:
    events = [EventRequest.model_validate({"target": {"user": "offline"}, "body": f"keep me {n}", "title": "t"})
              .to_event("it") for n in range(20)]
    publisher = EventPublisher(broker.url, InboxArguments(ttl_seconds=3600, max_length=100), confirm_timeout=5)
    publisher.start()
    try:
        await wait_until(lambda: publisher.ready, what="the publisher to connect")
        for event in events:
            await publisher.publish(event)  # returns once the broker has confirmed
        broker.kill()  # at once: no clean stop, no chance to sync anything more
    finally:
        await publisher.close()

    broker.start()
    received: list[Event] = []
    connection = await aio_pika.connect(broker.url)
    async with connection:
        channel = await connection.channel()
        inbox = await channel.declare_queue(inbox_queue_name("offline"), passive=True)
        while (message := await inbox.get(fail=False)) is not None:
            assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
            received.append(Event.from_wire(message.body))
    assert received == events, "the inbox lost confirmed events in the crash"
