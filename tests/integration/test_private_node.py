"""The private RabbitMQ node dies with the process that started it, even one killed outright."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

OWNER = """
import sys
from scripts.rabbitmq_node import private_node
with private_node() as node:
    print(node.process.pid, flush=True)
    sys.stdin.read()  # until the test kills this process
"""


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_node_whose_owner_is_killed_stops() -> None:
    owner = await asyncio.create_subprocess_exec(sys.executable, "-c", OWNER, cwd=ROOT, stdin=subprocess.PIPE,
                                                 stdout=subprocess.PIPE)
    try:
        assert owner.stdout is not None
        group = int(await asyncio.wait_for(owner.stdout.readline(), timeout=120))  # the node's own group
        assert alive(group)
        owner.kill()  # SIGKILL: no finally, no atexit
        await owner.wait()
        await wait_until(lambda: not alive(group), timeout=30, what="the orphaned node to be killed")
    finally:
        if owner.returncode is None:
            owner.kill()
            await owner.wait()
