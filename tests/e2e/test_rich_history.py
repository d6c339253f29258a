"""A rich notification in thread history (a SQLite data layer): after a reload the message has its image
and ack button back; a click there is published, shows in the tab, and is written to the thread, so the
next reload shows it acknowledged and without the button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import processes
from tests.support.chat_client import ChatTab
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.thread_history import start_thread, step_metadata
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

IMAGE = "https://img.example/graph.png"


@pytest.fixture(scope="module")
def history_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[tuple[Service, Path]]:
    database = workdir / "rich-history.sqlite3"  # Herald makes the tables
    with processes.chat(amqp_url, users_file, workdir, name="rich-history",
                        env={"HERALD_AUTH_MODE": "header", "HERALD_IMAGE_HOSTS": "img.example",
                             "HERALD_DATA_LAYER_URL": f"sqlite+aiosqlite:///{database}"}) as service:
        yield service, database


def _resumed_step(tab: ChatTab, event_id: str) -> dict[str, Any]:
    [step] = [step for step in tab.resumed[0]["steps"] if step_metadata(step).get("herald_event_id") == event_id]
    return step


async def test_a_reloaded_notification_gets_its_image_and_button_back_and_its_ack_is_kept(
        history_chat: tuple[Service, Path], tabs: Tabs, publisher: Publisher) -> None:
    chat, _ = history_chat
    user = fresh_user("reloader")
    first = await tabs.open(chat, user)
    thread = await start_thread(first)
    event_id = await publisher.send({"user": user}, "Disk 91% full", title="Disk", image=IMAGE,
                                    actions=[{"type": "ack", "label": "On it"}])
    await wait_until(lambda: event_id in first.shown_ids(), what="the event")
    await first.disconnect()

    reloaded = await tabs.open(chat, user, thread_id=thread)
    await wait_until(lambda: bool(reloaded.resumed), what="the resume")
    await wait_until(lambda: reloaded.emitted_as("action"), what="its ack button")
    step = _resumed_step(reloaded, event_id)
    assert [(e["url"], e["forId"]) for e in reloaded.resumed[0]["elements"]] == [(IMAGE, step["id"])]
    [button] = reloaded.emitted_as("action")
    assert (button["label"], button["forId"]) == ("On it", step["id"])

    answer = await reloaded.click(button)
    assert answer.json()["response"] == "acknowledged", answer.text
    await wait_until(lambda: [u for u in reloaded.emitted_as("update_message") if u["id"] == step["id"]],
                     what="the reloaded tab to show the ack")
    [update] = [u for u in reloaded.emitted_as("update_message") if u["id"] == step["id"]]
    assert update["output"].startswith(step["output"]) and "Acknowledged by" in update["output"]
    await reloaded.disconnect()

    # Written to the thread (the step's metadata): the next reload shows it acknowledged, with no button.
    again = await tabs.open(chat, user, thread_id=thread)
    await wait_until(lambda: bool(again.resumed), what="the second resume")
    step = _resumed_step(again, event_id)
    assert "Acknowledged by" in step["output"]
    assert again.emitted_as("action") == []
