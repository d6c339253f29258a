"""The chat serves while its broker is away, and delivery catches up when it comes (issue #20).

Each test starts the chat with its broker down, then starts the broker: the app serves and tabs connect
meanwhile, and once the broker is there their events arrive, those that waited from before included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.broker import RestartableBroker
from tests.support.chat_client import ChatTab, login_by_header, open_tab
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e

HEADER_LOGIN = {"HERALD_AUTH_MODE": "header"}
SERVING = "/auth/config"  # the chat's API answers: it serves, whether or not delivery is live


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "rabbitmq")  # not started: each test starts it when it says
    yield broker
    broker.stop()


@pytest.fixture
async def offline_tabs(broker: RestartableBroker) -> AsyncIterator[Tabs]:
    opened = Tabs(broker.url)
    yield opened
    await opened.close()


async def open_unready(tabs: Tabs, chat: processes.Service, user: str) -> ChatTab:
    """A tab of `user`, connected, without waiting for Herald to consume its queue (there is no broker)."""
    tab = await open_tab(chat.url, await login_by_header(chat.url, user))
    tabs.opened.append(tab)
    return tab


async def get(service: processes.Service, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service.url, timeout=5) as http:
        return await http.get(path)


async def health(chat: processes.Service) -> dict[str, Any]:
    answer = await get(chat, "/herald/healthz")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def texts(tab: ChatTab) -> list[str]:
    return [str(step.get("output", "")) for step in tab.messages]


async def test_the_chat_serves_before_its_broker_exists_and_delivers_once_it_does(
        broker: RestartableBroker, keys: Keys, users_file: Path, workdir: Path, offline_tabs: Tabs) -> None:
    user = fresh_user("offline")
    # An event waits in the user's inbox from before: published while the broker ran, which then stopped.
    broker.start()
    with processes.notifier(broker.url, keys.file, workdir) as notifier:
        publisher = Publisher(notifier, keys)
        waited = await publisher.send({"user": user}, "from before")
        broker.stop()

        with processes.chat(broker.url, users_file, workdir, name="offline-chat", env=HEADER_LOGIN,
                            ready_path=SERVING) as chat:
            # Serving with no broker at all: the login page, Chainlit's API, Herald's health.
            page = await get(chat, "/login")
            assert page.status_code == 200 and "<html" in page.text.lower()
            status = await health(chat)
            assert status["delivery"] == "waiting for the broker" and status["broker"]["link"] == "down"
            assert status["broker"]["down_for_seconds"] >= 0
            not_ready = await get(chat, "/herald/readyz")
            assert not_ready.status_code == 503 and "Retry-After" in not_ready.headers

            # A tab connects: the app's own hooks run, and Herald's connect handler returns at once.
            tab = await open_unready(offline_tabs, chat, user)
            await wait_until(lambda: any(text.startswith("Hi ") for text in texts(tab)), what="the app's greeting")
            await wait_until(lambda: any("Notifications are delayed" in text for text in texts(tab)),
                             what="the demo app's notice")
            await wait_until(lambda: f"session {tab.session_id} waits for the broker link" in chat.output(),
                             what="Herald's connect handler to return")
            await tab.say("hello")
            await wait_until(lambda: "You said: hello" in texts(tab), what="the app's answer")
            assert tab.event_ids() == []

            broker.start()  # the same node, with the waiting event
            await offline_tabs.ready(tab)  # taken up: declared, bound, consumed
            await processes.notifier_linked(notifier)
            after = await publisher.send({"user": user}, "after")
            await wait_until(lambda: after in tab.event_ids(), timeout=30, what="the event sent after")
            assert tab.event_ids() == [waited, after]  # nothing lost, in order
            await wait_until(lambda: not any("Notifications are delayed" in text for text in texts(tab)),
                             what="the notice to go once delivery is live")
            assert (await health(chat))["delivery"] == "live"
            assert (await get(chat, "/herald/readyz")).status_code == 200
            log = chat.output()
            # One line for the wait, not one per attempt.
            assert log.count("cannot connect to the broker") == 1, log[-3000:]
            assert "Connection attempt to" not in log and "error when creating transport" not in log
            assert "connected to the broker at" in log


async def poll_http(chat: processes.Service, until: asyncio.Event) -> list[str]:
    """GET the chat's login page and health every 0.2 s until told; the failures, with when."""
    failures: list[str] = []
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=chat.url, timeout=3) as http:
        while not until.is_set():
            for path in ("/login", "/auth/config", "/herald/healthz"):
                try:
                    answer = await http.get(path)
                    if answer.status_code != 200:
                        failures.append(f"{time.monotonic() - started:.1f} s {path}: {answer.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(f"{time.monotonic() - started:.1f} s {path}: {exc!r}")
            await asyncio.sleep(0.2)  # a poll's pace, not a wait for a condition
    return failures


async def test_tabs_and_the_app_ride_out_a_broker_stop_and_start(
        broker: RestartableBroker, keys: Keys, users_file: Path, workdir: Path, offline_tabs: Tabs) -> None:
    user = fresh_user("outage")
    with processes.chat(broker.url, users_file, workdir, name="outage-chat", env=HEADER_LOGIN,
                        ready_path=SERVING) as chat:
        broker.start()
        with processes.notifier(broker.url, keys.file, workdir,
                                env={"HERALD_PUBLISH_TIMEOUT_SECONDS": "10"}) as notifier:
            publisher = Publisher(notifier, keys)
            first = await open_unready(offline_tabs, chat, user)
            await offline_tabs.ready(first)
            before = await publisher.send({"user": user})
            await wait_until(lambda: before in first.event_ids(), what="the event before the outage")

            stop_polling = asyncio.Event()
            polling = asyncio.create_task(poll_http(chat, stop_polling))
            try:
                await asyncio.to_thread(broker.stop)
                async def link_down() -> bool:
                    return bool((await health(chat))["broker"]["link"] == "down")

                await eventually(link_down, what="the chat to see the link down")
                # A tab that connects during the outage, and a tab that leaves and comes back.
                second = await open_unready(offline_tabs, chat, user)
                await wait_until(lambda: any(text.startswith("Hi ") for text in texts(second)),
                                 what="the app's greeting in a tab opened during the outage")
                # The notifier refuses at once, not after its 10 s confirm timeout.
                asked = time.monotonic()
                async with httpx.AsyncClient(base_url=notifier.url) as http:
                    refused = await http.post("/v1/events", json={"target": {"user": user}, "body": "x"},
                                              headers={"Authorization": f"Bearer {keys.publisher}"})
                assert refused.status_code == 503 and "Retry-After" in refused.headers, refused.text
                assert time.monotonic() - asked < 2

                await asyncio.to_thread(broker.start)
                await offline_tabs.ready(second)
                await offline_tabs.ready(first)
            finally:
                stop_polling.set()
                failures = await polling
            assert failures == []

            await processes.notifier_linked(notifier)
            after = await publisher.send({"user": user})
            await wait_until(lambda: after in first.event_ids() and after in second.event_ids(), timeout=30,
                             what="the event after the outage in both tabs")
            assert first.event_ids() == [before, after]
            # `before` too, should its ack have been held back when the broker stopped (docs/architecture.md).
            assert second.event_ids() in ([after], [before, after])
            log = chat.output()
            assert log.count("lost the broker link") == 1 and log.count("is back after") == 1, log[-3000:]
            assert "Connection attempt to" not in log and "error when creating transport" not in log
