"""What the private node runs with (scripts/rabbitmq_node.py).

Herald's queues get their classic queue version from broker policies, not queue arguments: RabbitMQ
refuses a redeclare whose arguments differ, so an argument would break the queues an older Herald
declared. Inboxes are v2, tabs' queues v1 (herald.contract.topology.QUEUE_VERSION_POLICIES says why).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import aio_pika
import pytest

from herald.contract.declarations import declare_exchanges, declare_inbox, declare_queue
from herald.contract.topology import InboxArguments, inbox_queue_name, session_queue_arguments, session_queue_name
from scripts.rabbitmq_node import RabbitMQNode, erlang_scheduler_flags, private_node

pytestmark = pytest.mark.integration

# The version each queue runs with, as its process reports it (not which policy names it).
_VERSIONS = (
    "[{element(4, amqqueue:get_name(Q)), proplists:get_value(version, proplists:get_value(backing_queue_status,"
    " rabbit_amqqueue:info(Q, [backing_queue_status])))} || Q <- rabbit_amqqueue:list()]."
)


@pytest.fixture(scope="module")
def node() -> Iterator[RabbitMQNode]:
    """One node for the module (each start takes several seconds), with only Herald's own Erlang flags."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", raising=False)
        with private_node() as started:
            yield started


def _evaluate(node: RabbitMQNode, expression: str) -> str:
    done = node.ctl("eval", expression)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_an_inbox_an_older_herald_declared_is_taken_as_is_and_becomes_v2_and_tab_queues_are_v1(
    node: RabbitMQNode,
) -> None:
    arguments = InboxArguments(ttl_seconds=60, max_length=10)
    connection = await aio_pika.connect(node.url)
    async with connection:
        channel = await connection.channel()
        await declare_exchanges(channel)
        # As Herald declared inboxes before the policy (no x-queue-version), with a message waiting.
        await channel.declare_queue(inbox_queue_name("old"), durable=True, arguments=arguments.as_queue_arguments())
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=inbox_queue_name("old"))
        inbox = await declare_inbox(channel, "old", arguments)  # today's declare: no PRECONDITION_FAILED
        assert inbox.declaration_result.message_count == 1
        await declare_queue(channel, session_queue_name("tab-1"), session_queue_arguments("old", 60))
    versions = await asyncio.to_thread(_evaluate, node, _VERSIONS)
    assert f'{{<<"{inbox_queue_name("old")}">>,2}}' in versions
    assert f'{{<<"{session_queue_name("tab-1")}">>,1}}' in versions


@pytest.mark.parametrize(("cpus", "flags"), [(1, "+S 1:1"), (2, "+S 1:1"), (3, "+S 1:1"), (8, "+S 4:4")])
def test_the_flags_ask_for_half_the_cpus_and_at_least_one(cpus: int, flags: str) -> None:
    assert erlang_scheduler_flags(cpus) == flags


async def test_the_node_leaves_half_the_cpus_to_herald_s_services(node: RabbitMQNode) -> None:
    online = int(await asyncio.to_thread(_evaluate, node, "erlang:system_info(schedulers_online)."))
    cpus = os.cpu_count() or 1
    # What the node runs, checked against the machine, not against the formula that chose it.
    assert online >= 1 and (online == 1 or 2 * online <= cpus)
    assert online < cpus or cpus == 1  # Erlang's default would be one scheduler per CPU
