"""Both services start, and serve, before the broker does, and work once it is up; neither logs a password
while it waits."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from yarl import URL

from scripts.rabbitmq_node import free_port
from tests.conftest import Keys
from tests.support import processes
from tests.support.broker import RestartableBroker
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def late_broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "late")  # started by the test
    yield broker
    broker.stop()


async def test_the_notifier_serves_at_once_and_refuses_at_once_without_its_broker(
        late_broker: RestartableBroker, keys: Keys, workdir: Path) -> None:
    # A confirm timeout far above "at once": a 503 must not wait for it, nor for a connect attempt.
    with processes.notifier(late_broker.url, keys.file, workdir, ready_path="/healthz",
                            env={"HERALD_PUBLISH_TIMEOUT_SECONDS": "10"}) as notifier:
        async with httpx.AsyncClient(base_url=notifier.url, timeout=15) as http:
            health = (await http.get("/healthz")).json()
            assert health["status"] == "ok" and health["broker"]["link"] == "down"
            not_ready = await http.get("/readyz")
            assert not_ready.status_code == 503 and "Retry-After" in not_ready.headers
            assert not_ready.json()["broker"]["link"] == "down"
            for _ in range(3):
                asked = time.monotonic()
                refused = await http.post("/v1/events", json={"target": {"user": "late"}, "body": "x"},
                                          headers={"Authorization": f"Bearer {keys.publisher}"})
                assert refused.status_code == 503 and "Retry-After" in refused.headers, refused.text
                assert time.monotonic() - asked < 1

            await asyncio.to_thread(late_broker.start)
            await processes.notifier_linked(notifier)
            accepted = await http.post("/v1/events", json={"target": {"user": "late"}, "body": "x"},
                                       headers={"Authorization": f"Bearer {keys.publisher}"})
            assert accepted.status_code == 202, accepted.text
            assert (await http.get("/healthz")).json()["broker"] == {"link": "up"}


async def failed_attempts(service: processes.Service, path: str) -> int:
    async with httpx.AsyncClient(base_url=service.url, timeout=5) as http:
        return int((await http.get(path)).json()["broker"].get("failed_attempts", 0))


async def test_no_password_reaches_the_logs(amqp_url: str, keys: Keys, users_file: Path, workdir: Path) -> None:
    """A wrong password against a real broker (the notifier) and a closed port (the chat): each logs the
    URL it tries, and never the password."""
    password = f"pw-{secrets.token_hex(8)}"
    broker = URL(amqp_url)
    refused_login = str(broker.with_user(f"nobody-{secrets.token_hex(4)}").with_password(password))
    closed_port = f"amqp://herald:{password}@127.0.0.1:{free_port()}/"
    with processes.notifier(refused_login, keys.file, workdir, ready_path="/healthz") as notifier, \
            processes.chat(closed_port, users_file, workdir, name="secret-chat", ready_path="/herald/healthz") as chat:
        async def both_retried() -> bool:
            return (await failed_attempts(notifier, "/healthz") >= 2
                    and await failed_attempts(chat, "/herald/healthz") >= 2)

        await eventually(both_retried, timeout=30, what="two failed attempts of each service")
    for service in (notifier, chat):
        log = service.output()
        assert password not in log, service.name
        assert ":******@" in log, f"{service.name} logged no URL, so the check proves nothing:\n{log[-2000:]}"


async def test_a_chat_waiting_for_the_broker_stops_when_told(users_file: Path, workdir: Path) -> None:
    """A chat whose broker link is down, still trying, stops on SIGTERM without needing a SIGKILL."""
    env = {**os.environ, "HERALD_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
           "HERALD_USERS_FILE": str(users_file), "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET,
           "PYTHONPATH": str(processes.ROOT)}
    chat_dir = workdir / "stops-when-told"
    chat_dir.mkdir(exist_ok=True)
    log = chat_dir / "chat.log"
    with log.open("w") as out:
        chat = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "herald.chat", "--port", str(free_port()), cwd=chat_dir, env=env, stdout=out,
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
