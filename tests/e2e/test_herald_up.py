"""`./herald up` (scripts/up.py) with HERALD_AMQP_URL at a broker that is not there yet: the chat's login
page is up within seconds, and once that broker starts, notifications flow without restarting anything."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from scripts.rabbitmq_node import free_port, watchdog
from tests.support import processes
from tests.support.broker import RestartableBroker
from tests.support.chat_client import login, open_tab
from tests.support.processes import ROOT
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def later_broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "rabbitmq")
    yield broker
    broker.stop()


@dataclass
class HeraldUp:
    notifier: str
    chat: str
    output: Path
    started: float


@pytest.fixture
def herald_up(later_broker: RestartableBroker, tmp_path: Path) -> Iterator[HeraldUp]:
    """`python -m scripts.up` (what `./herald up` runs without Docker) with HERALD_AMQP_URL at the broker
    that is not started, until SIGTERM, on which it stops its services."""
    notifier_port, chat_port = free_port(), free_port()
    output = tmp_path / "up.out"
    env = {**os.environ, "HERALD_AMQP_URL": later_broker.url, "HERALD_VAR_DIR": str(tmp_path / "var"),
           "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    with output.open("wb") as out:
        up = subprocess.Popen([sys.executable, "-m", "scripts.up", "--notifier-port", str(notifier_port),
                               "--chat-port", str(chat_port)], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, start_new_session=True)
    dog = watchdog(up.pid)
    try:
        yield HeraldUp(f"http://127.0.0.1:{notifier_port}", f"http://127.0.0.1:{chat_port}", output, started)
    finally:
        processes.stop(up, dog, grace_seconds=30)


async def test_herald_up_brings_up_a_login_while_its_broker_is_away(later_broker: RestartableBroker,
                                                                    herald_up: HeraldUp) -> None:
    output, chat, notifier = herald_up.output, herald_up.chat, herald_up.notifier
    await wait_until(lambda: "Press Ctrl-C" in output.read_text(), timeout=60, what="./herald up's welcome")
    up_after = time.monotonic() - herald_up.started
    text = output.read_text()
    assert "The broker does not answer yet" in text and "guest:******@" in text, text
    async with httpx.AsyncClient(base_url=chat, timeout=5) as http:
        assert (await http.get("/login")).status_code == 200
    assert up_after < 45, f"./herald up took {up_after:.1f} s"  # seconds: Chainlit's start, not a broker wait
    match = re.search(r"log in as (\S+) / (\S+)\)", text)
    key = re.search(r"Bearer (\S+)'", text)
    assert match is not None and key is not None, text
    user, password = match.groups()
    tab = await open_tab(chat, await login(chat, user, password))
    try:
        await asyncio.to_thread(later_broker.start)

        async def accepted() -> bool:
            async with httpx.AsyncClient(base_url=notifier, timeout=15) as http:
                answer = await http.post("/v1/events", json={"target": {"user": user}, "body": "It **works**."},
                                         headers={"Authorization": f"Bearer {key.group(1)}"})
            return answer.status_code == 202

        await eventually(accepted, timeout=60, what="the notifier to accept once the broker is there")
        await wait_until(lambda: len(tab.herald_events()) == 1, timeout=30, what="the event in the tab")
    finally:
        await tab.disconnect()
