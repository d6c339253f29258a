"""Herald inside a Chainlit app that is mounted in a parent FastAPI app (examples/mounted_chat.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.rabbitmq_node import free_port
from tests.support import processes
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.processes import ROOT, Service
from tests.support.routing_drivers import Publisher, fresh_user, settled, tab_ready
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mounted(amqp_url: str, workdir: Path) -> Iterator[Service]:
    port = free_port()
    home = workdir / "mounted"
    home.mkdir()
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_AUTH_MODE": "header", "PYTHONPATH": str(ROOT),
           "CHAINLIT_AUTH_SECRET": processes.AUTH_SECRET}
    command = [sys.executable, "-m", "uvicorn", "examples.mounted_chat:app", "--host", "127.0.0.1", "--port", str(port)]
    with processes.running("mounted", command, env, home, "/chat/auth/config", port) as service:
        yield service


async def test_a_mounted_chat_delivers_from_the_parent_lifespan(mounted: Service, publisher: Publisher,
                                                                amqp_url: str) -> None:
    user = fresh_user("mounted")
    chat_url = f"{mounted.url}/chat"
    tab = ChatTab(mounted.url, await login_by_header(chat_url, user), socketio_path="/chat/ws/socket.io")
    await tab.connect()
    try:
        await tab_ready(amqp_url, tab)
        async with httpx.AsyncClient(base_url=mounted.url) as http:
            health = await http.get("/herald/healthz")  # the parent app's
        assert health.status_code == 200 and health.json()["delivery"] == "live", health.text
        event = await publisher.send({"user": user}, "from a mounted app")
        await wait_until(lambda: event in tab.event_ids(), what="the event in the mounted chat")
        await settled(publisher, user, tab)
        assert tab.emitted_ids() == [event]
    finally:
        await tab.disconnect()
