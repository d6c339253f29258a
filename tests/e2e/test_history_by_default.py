"""History by default: notifications shown in a tab, before the user typed anything and after, are in that
tab's thread when the user reloads and resumes it, on the demo's SQLite and on Postgres.

Real notifier, broker, chat (the demo app with its data layer) and socket.io tabs; the thread is read back
as Chainlit's frontend reads it on a reload: the thread list (`POST /project/threads`, the sidebar) and
Chainlit's resume of the thread over the socket (which reads it from the database).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from herald.chat.config import DEMO_HISTORY_URL
from tests.support import processes
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.postgres import PostgresServer
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history_chat(request: pytest.FixtureRequest, amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    """The demo chat on SQLite, at the demo's own (relative) default URL, or on a fresh Postgres database;
    Herald makes the schema in both."""
    if request.param == "postgres":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        url = postgres.create_database("history_by_default")
    else:
        url = DEMO_HISTORY_URL
    with processes.chat(amqp_url, users_file, workdir, name=f"history-{request.param}",
                        env={"HERALD_AUTH_MODE": "header", "HERALD_DATA_LAYER_URL": url}) as service:
        yield service


def metadata(step: dict[str, Any]) -> dict[str, Any]:
    value = step.get("metadata") or {}
    return json.loads(value) if isinstance(value, str) else dict(value)  # SQL hands JSON back as text


def kept_events(thread: dict[str, Any]) -> list[str]:
    return [metadata(step)["herald_event_id"] for step in thread["steps"] if "herald_event_id" in metadata(step)]


async def reload(tabs: Tabs, chat: Service, user: str, thread: str) -> dict[str, Any]:
    """A new tab on the thread's page (what a reload is to Chainlit): the thread it resumes."""
    tab = await tabs.open(chat, user, thread_id=thread)
    await wait_until(lambda: bool(tab.resumed), timeout=30, what="Chainlit to resume the thread")
    await tab.disconnect()
    return tab.resumed[0]


async def user_threads(chat: Service, user: str) -> list[dict[str, Any]]:
    """The user's threads as the sidebar lists them."""
    token = await login_by_header(chat.url, user)
    async with httpx.AsyncClient(base_url=chat.url, cookies={"access_token": token}) as http:
        response = await http.post("/project/threads", json={"pagination": {"first": 20}, "filter": {}})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def thread_of(tab: ChatTab, event: str) -> str:
    return next(str(step["threadId"]) for step in tab.herald_events() if step["metadata"]["herald_event_id"] == event)


async def test_a_notification_before_the_first_message_and_one_after_are_kept_in_the_thread(
        history_chat: Service, tabs: Tabs, publisher: Publisher, workdir: Path) -> None:
    alice = fresh_user("alice")
    tab = await tabs.open(history_chat, alice)
    before = await publisher.send({"user": alice}, "the build you asked for is ready", title="Build ready",
                                  data={"build": 17, "links": ["a", "b"]})
    await wait_until(lambda: before in tab.event_ids(), what="the notification before any message")
    thread = thread_of(tab, before)
    await tab.disconnect()

    # Alice never typed, yet the thread is hers, named after the notification, and keeps it.
    listed = {entry["id"]: entry for entry in await user_threads(history_chat, alice)}
    assert thread in listed and listed[thread]["name"] == "Build ready", listed
    resumed = await reload(tabs, history_chat, alice, thread)
    assert kept_events(resumed) == [before]
    kept = next(step for step in resumed["steps"] if metadata(step).get("herald_event_id") == before)
    assert "the build you asked for is ready" in kept["output"]
    assert metadata(kept)["data"] == {"build": 17, "links": ["a", "b"]}  # the metadata round-trips whole

    again = await tabs.open(history_chat, alice, thread_id=thread)
    await wait_until(lambda: bool(again.resumed), timeout=30, what="the second resume")
    await again.say("thanks, anything else?")
    await wait_until(lambda: any("You said" in step.get("output", "") for step in again.messages),
                     what="the app's reply")
    after = await publisher.send({"user": alice}, "the deploy finished", title="Deployed")
    await wait_until(lambda: after in again.event_ids(), what="the notification after the first message")
    await again.disconnect()

    final = await reload(tabs, history_chat, alice, thread)
    assert kept_events(final) == [before, after]  # each once, in the order shown
    outputs = [step.get("output", "") for step in final["steps"]]
    assert "thanks, anything else?" in outputs and any("You said" in output for output in outputs)
    if "sqlite" in history_chat.name:  # the demo's default: a file under the chat's working directory
        assert (history_chat.log.parent / "var" / "herald-history.sqlite3").is_file()
