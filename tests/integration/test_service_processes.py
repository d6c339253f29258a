"""A service process the tests start (a notifier, a chat) dies with the test run, even one killed outright."""

from __future__ import annotations

import pytest

from tests.support.orphans import assert_dies_with_its_owner

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
    print(service.process.pid, flush=True)  # the service's own process group
    sys.stdin.read()  # until the test kills this process
"""


async def test_a_service_whose_test_run_is_killed_stops() -> None:
    await assert_dies_with_its_owner(OWNER, start_timeout=60, what="service")
