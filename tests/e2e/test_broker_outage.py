"""Both services start before the broker does, and work once it is up."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.rabbitmq_node import RabbitMQNode, free_port, start_node
from tests.conftest import Keys
from tests.support import processes
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def late_broker(tmp_path: Path) -> Iterator[tuple[str, list[RabbitMQNode]]]:
    port = free_port()
    started: list[RabbitMQNode] = []
    yield f"amqp://guest:guest@127.0.0.1:{port}/", started
    for node in started:
        node.stop()


def test_the_services_wait_for_a_broker_that_comes_late(
        late_broker: tuple[str, list[RabbitMQNode]], keys: Keys, users_file: Path, workdir: Path,
        tmp_path: Path) -> None:
    url, started = late_broker
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    with processes.notifier(url, keys.file, workdir, ready_path="/healthz") as notifier:
        refused = httpx.post(f"{notifier.url}/v1/events", json={"target": {"user": "late"}, "body": "x"},
                             headers={"Authorization": f"Bearer {keys.publisher}"})
        assert refused.status_code == 503 and "Retry-After" in refused.headers

        # The chat does not serve until its broker is up; start the broker while it waits.
        starter = threading.Thread(target=lambda: started.append(start_node(tmp_path / "late", amqp_port=port)))
        starter.start()
        with processes.chat(url, users_file, workdir, name="late-chat") as chat:
            starter.join()
            assert httpx.get(f"{chat.url}/auth/config").status_code == 200
            assert "Reconnecting" in chat.output() and "guest:guest" not in chat.output()  # no password logged

        asyncio.run(processes.notifier_linked(notifier))
        accepted = httpx.post(f"{notifier.url}/v1/events", json={"target": {"user": "late"}, "body": "x"},
                              headers={"Authorization": f"Bearer {keys.publisher}"})
        assert accepted.status_code == 202, accepted.text


async def test_a_chat_waiting_for_the_broker_stops_when_told(users_file: Path, workdir: Path) -> None:
    """uvicorn looks at SIGTERM only once started; the chat, still waiting for its broker, must not
    need a SIGKILL."""
    env = {**os.environ, "HERALD_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
           "HERALD_USERS_FILE": str(users_file), "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET,
           "PYTHONPATH": str(processes.ROOT)}
    chat_dir = workdir / "stops-when-told"
    chat_dir.mkdir(exist_ok=True)
    log = chat_dir / "chat.log"
    with log.open("w") as out:
        chat = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.chat", "--port", str(free_port()), cwd=chat_dir, env=env, stdout=out,
            stderr=asyncio.subprocess.STDOUT)
    try:
        await wait_until(lambda: "Connection refused" in log.read_text(), timeout=30,
                         what="the chat to be waiting for the broker")
        chat.send_signal(signal.SIGTERM)
        await asyncio.wait_for(chat.wait(), timeout=10)  # TimeoutError if it ignores the signal
    finally:
        if chat.returncode is None:
            chat.kill()
            await chat.wait()
