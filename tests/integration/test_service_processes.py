"""A service process the tests start (a notifier, a chat) dies with the test run, even one killed outright."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.integration.test_private_node import ROOT, alive
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

# A stand-in service: any process that answers HTTP on its port is started the same way.
OWNER = """
import sys, tempfile
from pathlib import Path
from scripts.rabbitmq_node import free_port
from tests.support.processes import running
port = free_port()
with tempfile.TemporaryDirectory() as workdir, running(
        "web", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {}, Path(workdir), "/",
        port) as service:
    print(service.process.pid, flush=True)
    sys.stdin.read()  # until the test kills this process
"""


async def test_a_service_whose_test_run_is_killed_stops() -> None:
    owner = await asyncio.create_subprocess_exec(sys.executable, "-c", OWNER, cwd=ROOT, stdin=subprocess.PIPE,
                                                 stdout=subprocess.PIPE)
    try:
        assert owner.stdout is not None
        group = int(await asyncio.wait_for(owner.stdout.readline(), timeout=60))  # the service's own group
        assert alive(group)
        owner.kill()  # SIGKILL: no finally, no atexit
        await owner.wait()
        await wait_until(lambda: not alive(group), timeout=30, what="the orphaned service to be killed")
    finally:
        if owner.returncode is None:
            owner.kill()
            await owner.wait()
