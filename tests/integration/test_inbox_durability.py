"""An event for a user with no connected session is kept in their inbox across a broker restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest

from scripts.rabbitmq_node import RabbitMQNode, free_port, start_node
from services.notifier.publisher import EventPublisher
from shared.events import Event, EventRequest
from shared.topology import InboxArguments, inbox_queue_name
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def restartable_node(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A node of this test's own (the shared one must not restart under other tests)."""
    yield tmp_path / "rabbitmq", free_port()


def start(base: Path, port: int) -> RabbitMQNode:
    return start_node(base, amqp_port=port, name=f"durability-{port}@localhost")


async def test_a_waiting_event_survives_a_broker_restart(restartable_node: tuple[Path, int]) -> None:
    base, port = restartable_node
    event = EventRequest.model_validate({"target": {"user": "offline"}, "body": "keep me", "title": "t"}).to_event("it")
    node = start(base, port)
    try:
        publisher = EventPublisher(node.url, InboxArguments(ttl_seconds=3600, max_length=100), confirm_timeout=5)
        publisher.start()
        await wait_until(lambda: publisher.ready, what="the publisher to connect")
        await publisher.publish(event)  # returns once the broker has confirmed
        await publisher.close()
    finally:
        node.stop()

    node = start(base, port)
    try:
        connection = await aio_pika.connect(node.url)
        async with connection:
            channel = await connection.channel()
            inbox = await channel.declare_queue(inbox_queue_name("offline"), passive=True)
            message = await inbox.get(fail=False)
            assert message is not None, "the inbox lost the event over the restart"
            assert Event.from_wire(message.body) == event
            assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    finally:
        node.stop()
