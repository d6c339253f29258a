"""With a Chainlit data layer, an event for a thread nobody is looking at is written into that thread (on SQLite
and on Postgres)."""

from __future__ import annotations

import pytest

from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.thread_history import start_thread, step_metadata
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_a_thread_nobody_shows_gets_the_event_written_in_and_shown_on_resume(
        history_chat: Service, tabs: Tabs, publisher: Publisher) -> None:
    alice = fresh_user("alice")
    first = await tabs.open(history_chat, alice)
    thread = await start_thread(first)
    await first.disconnect()

    elsewhere = await tabs.open(history_chat, alice)  # alice is online, but not in that thread
    event = await publisher.send({"user": alice, "thread": thread}, "your report is ready")
    await settled(publisher, alice, elsewhere)
    assert elsewhere.event_ids() == []

    resumed = await tabs.open(history_chat, alice, thread_id=thread)
    await wait_until(lambda: bool(resumed.resumed), what="Chainlit to resume the thread")
    steps = resumed.resumed[0]["steps"]
    kept = [step for step in steps if step_metadata(step).get("herald_event_id") == event]
    assert len(kept) == 1 and "your report is ready" in kept[0]["output"]


async def test_a_thread_of_another_user_is_not_written(
        history_chat: Service, tabs: Tabs, publisher: Publisher) -> None:
    owner, intruder = fresh_user("owner"), fresh_user("intruder")
    first = await tabs.open(history_chat, owner)
    thread = await start_thread(first, "mine")
    await first.disconnect()

    intruders = await tabs.open(history_chat, intruder)
    event = await publisher.send({"user": intruder, "thread": thread}, "written into someone else's thread?")
    # The thread is not the intruder's: the event falls back to the intruder as a user event instead.
    await wait_until(lambda: event in intruders.event_ids(), what="the fallback to the intruder's own tab")

    resumed = await tabs.open(history_chat, owner, thread_id=thread)
    await wait_until(lambda: bool(resumed.resumed), what="Chainlit to resume the owner's thread")
    assert all(step_metadata(step).get("herald_event_id") != event for step in resumed.resumed[0]["steps"])
