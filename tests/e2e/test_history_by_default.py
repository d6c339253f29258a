"""History by default: notifications shown in a tab, before the user typed anything and after, are in that
tab's thread when the user reloads and resumes it, on the demo's SQLite and on Postgres.

Real notifier, broker, chat (the demo app with its data layer) and socket.io tabs; the thread is read back
as Chainlit's frontend reads it on a reload (tests/support/thread_history.py).
"""

from __future__ import annotations

import pytest

from tests.support.chat_client import ChatTab
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.thread_history import kept_events, resume, step_metadata, user_threads
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def thread_of(tab: ChatTab, event: str) -> str:
    return next(str(step["threadId"]) for step in tab.herald_events() if step["metadata"]["herald_event_id"] == event)


async def test_a_notification_before_the_first_message_and_one_after_are_kept_in_the_thread(
        history_chat: Service, tabs: Tabs, publisher: Publisher) -> None:
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
    resumed = await resume(tabs, history_chat, alice, thread)
    assert kept_events(resumed) == [before]
    kept = next(step for step in resumed["steps"] if step_metadata(step).get("herald_event_id") == before)
    assert "the build you asked for is ready" in kept["output"]
    assert step_metadata(kept)["data"] == {"build": 17, "links": ["a", "b"]}  # the metadata round-trips whole

    again = await tabs.open(history_chat, alice, thread_id=thread)
    await wait_until(lambda: bool(again.resumed), timeout=30, what="the second resume")
    await again.say("thanks, anything else?")
    await wait_until(lambda: any("You said" in step.get("output", "") for step in again.messages),
                     what="the app's reply")
    after = await publisher.send({"user": alice}, "the deploy finished", title="Deployed")
    await wait_until(lambda: after in again.event_ids(), what="the notification after the first message")
    await again.disconnect()

    final = await resume(tabs, history_chat, alice, thread)
    assert kept_events(final) == [before, after]  # each once, in the order shown
    outputs = [step.get("output", "") for step in final["steps"]]
    assert "thanks, anything else?" in outputs and any("You said" in output for output in outputs)
    if history_chat.name.endswith("sqlite"):  # the demo's default: a file under the chat's working directory
        assert (history_chat.log.parent / "var" / "herald-history.sqlite3").is_file()
