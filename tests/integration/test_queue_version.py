"""Herald's queues are classic queues v2 by a broker policy, not a queue argument: RabbitMQ refuses a
redeclare whose arguments differ, so an argument would break the queues an older Herald declared."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import pytest

from scripts.rabbitmq_node import private_node
from shared.topology import InboxArguments, declare_exchanges, declare_inbox, inbox_queue_name

pytestmark = pytest.mark.integration


async def test_an_inbox_an_older_herald_declared_is_taken_as_is_and_becomes_v2() -> None:
    arguments = InboxArguments(ttl_seconds=60, max_length=10)
    with private_node() as node:
        connection = await aio_pika.connect(node.url)
        async with connection:
            channel = await connection.channel()
            await declare_exchanges(channel)
            # As Herald declared inboxes before the policy (no x-queue-version), with a message waiting.
            await channel.declare_queue(inbox_queue_name("old"), durable=True, arguments=arguments.as_queue_arguments())
            await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=inbox_queue_name("old"))
            inbox = await declare_inbox(channel, "old", arguments)  # today's declare: no PRECONDITION_FAILED
            assert inbox.declaration_result.message_count == 1
        listed = await asyncio.to_thread(node.ctl, "list_queues", "name", "policy", "--formatter", "json")
        policies = await asyncio.to_thread(node.ctl, "list_policies", "--formatter", "json")
    [queue] = [row for row in json.loads(listed.stdout) if row["name"] == inbox_queue_name("old")]
    [policy] = [row for row in json.loads(policies.stdout) if row["name"] == queue["policy"]]
    assert json.loads(policy["definition"]) == {"queue-version": 2}
