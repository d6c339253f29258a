"""The chat and its history database going wrong: a URL that cannot work stops the chat at start with a
message that says what would (the password masked); a database that does not answer does not: the chat
serves, shows notifications live, and logs once why history is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.rabbitmq_node import free_port
from tests.support import processes
from tests.support.processes import ROOT
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_a_history_url_that_cannot_work_stops_the_chat_at_start(amqp_url: str, users_file: Path,
                                                                tmp_path: Path) -> None:
    env = {**os.environ, "HERALD_AMQP_URL": amqp_url, "HERALD_USERS_FILE": str(users_file),
           "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET, "PYTHONPATH": str(ROOT),
           "HERALD_DATA_LAYER_URL": "postgresql://herald:s3cret@db.invalid/herald"}  # a synchronous driver
    done = subprocess.run([sys.executable, "-m", "herald.chat", "--host", "127.0.0.1", "--port", str(free_port())],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "herald-chat: HERALD_DATA_LAYER_URL postgresql://herald:******@db.invalid/herald" in output, output
    assert "postgresql+asyncpg://" in output and "s3cret" not in output


async def test_a_database_that_does_not_answer_leaves_the_chat_serving_live(
        amqp_url: str, users_file: Path, workdir: Path, tabs: Tabs, publisher: Publisher) -> None:
    nowhere = f"postgresql+asyncpg://herald:s3cret@127.0.0.1:{free_port()}/herald"  # nothing listens there
    with processes.chat(amqp_url, users_file, workdir, name="history-nowhere",
                        env={"HERALD_AUTH_MODE": "header", "HERALD_DATA_LAYER_URL": nowhere}) as chat:
        alice = fresh_user("alice")
        tab = await tabs.open(chat, alice)
        event = await publisher.send({"user": alice}, "shown, though not kept")
        await wait_until(lambda: event in tab.event_ids(), timeout=30, what="the notification, live")
        log = chat.output()
        assert "thread history is off: the database at postgresql+asyncpg://herald:******@127.0.0.1" in log, log
        assert "s3cret" not in log
