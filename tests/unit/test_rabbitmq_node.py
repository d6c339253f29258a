"""The private node's Erlang flags (scripts/rabbitmq_node.py)."""

from __future__ import annotations

import pytest

from scripts.rabbitmq_node import erlang_scheduler_flags

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("cpus", "flags"), [(1, "+S 1:1"), (2, "+S 1:1"), (3, "+S 1:1"), (16, "+S 8:8")])
def test_the_broker_gets_schedulers_for_half_the_cpus(cpus: int, flags: str) -> None:
    assert erlang_scheduler_flags(cpus) == flags
