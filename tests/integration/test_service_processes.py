"""A service process the tests start (a notifier, a chat) dies with the test run, even one killed outright."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.orphans import assert_dies_with_its_owner

pytestmark = pytest.mark.integration

# A stand-in service: any process that answers HTTP on its port is started the same way.
# Its work directory is the test's: the owner is killed outright, so it could not remove one of its own.
OWNER = """
import sys
from pathlib import Path
from scripts.rabbitmq_node import free_port
from tests.support.processes import running
port = free_port()
with running("web", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {}, Path(WORKDIR),
             "/", port) as service:
    print(service.process.pid, flush=True)  # the service's own process group
    sys.stdin.read()  # until the test kills this process
"""


async def test_a_service_whose_test_run_is_killed_stops(tmp_path: Path) -> None:
    await assert_dies_with_its_owner(OWNER.replace("WORKDIR", repr(str(tmp_path))), start_timeout=60, what="service")
