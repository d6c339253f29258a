"""The private RabbitMQ node dies with the process that started it, even one killed outright, and its data
directory goes with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.orphans import assert_dies_with_its_owner
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

OWNER = """
import sys
from scripts.rabbitmq_node import private_node
with private_node() as node:
    print(node.process.pid, node.base, flush=True)  # the node's own process group, and its data
    sys.stdin.read()  # until the test kills this process
"""


async def test_a_node_whose_owner_is_killed_stops_and_leaves_no_data_behind() -> None:
    [base] = await assert_dies_with_its_owner(OWNER, start_timeout=120, what="node")
    assert base.startswith(os.environ["HERALD_SCRATCH_DIR"])  # the run's scratch, checked at the end
    await wait_until(lambda: not Path(base).exists(), timeout=30, what="the orphaned node's data to be removed")
