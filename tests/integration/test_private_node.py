"""The private RabbitMQ node dies with the process that started it, even one killed outright."""

from __future__ import annotations

import pytest

from tests.support.orphans import assert_dies_with_its_owner

pytestmark = pytest.mark.integration

OWNER = """
import sys
from scripts.rabbitmq_node import private_node
with private_node() as node:
    print(node.process.pid, flush=True)  # the node's own process group
    sys.stdin.read()  # until the test kills this process
"""


async def test_a_node_whose_owner_is_killed_stops() -> None:
    await assert_dies_with_its_owner(OWNER, start_timeout=120, what="node")
