"""Fixtures of the fault tests: a chat with header login (any user id logs in) and a short reconnect
grace, so that a tab that does not come back hands its events back within the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from herald.notifier.api_keys import PUBLISH_EVENTS, UNLIMITED, config_entry, new_key
from tests.support import processes
from tests.support.paced_publisher import PacedPublisher
from tests.support.processes import ROOT, Service

RECONNECT_GRACE_SECONDS = 2
FAULT_CHAT_ENV = {"HERALD_AUTH_MODE": "header", "HERALD_RECONNECT_GRACE_SECONDS": str(RECONNECT_GRACE_SECONDS)}


@pytest.fixture(scope="session")
def fault_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    with processes.chat(amqp_url, users_file, workdir, name="fault-chat", env=FAULT_CHAT_ENV) as service:
        yield service


@pytest.fixture(scope="session")
def fault_notifier(amqp_url: str, workdir: Path) -> Iterator[tuple[Service, str]]:
    """A notifier whose key has no rate limit: the fault tests measure delivery at their own pace."""
    key, keys_file = new_key(), workdir / "fault-api-keys.toml"
    keys_file.write_text(config_entry("faults", key, [PUBLISH_EVENTS], rate_limit=UNLIMITED))
    with processes.notifier(amqp_url, keys_file, workdir) as service:
        yield service, key


@pytest.fixture
def pacer(fault_notifier: tuple[Service, str]) -> PacedPublisher:
    service, key = fault_notifier
    return PacedPublisher(service.url, key)


@contextmanager
def tab_process(url: str, token: str, session_id: str, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A tab in a process of its own (tests/support/tab_process.py), killed at the end whatever happens."""
    process = subprocess.Popen([sys.executable, "-m", "tests.support.tab_process", url, token, session_id, str(out)],
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
