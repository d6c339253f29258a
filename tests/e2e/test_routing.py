"""Every target kind reaches exactly the sessions it should, across two chat replicas and over time."""

from __future__ import annotations

import pytest

from shared.topology import session_queue_name
from tests.e2e.conftest import SESSION_TIMEOUT_SECONDS
from tests.support.broker_probe import dead_letter_reasons, queue_exists
from tests.support.chat_client import ChatTab
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e

Replicas = tuple[Service, Service]


async def settled(publisher: Publisher, user: str, *tabs: ChatTab) -> None:
    """Publish a marker to `user` and wait until each tab shows it: everything sent before has arrived."""
    marker = await publisher.send({"user": user}, "marker")
    for tab in tabs:
        await wait_until(lambda tab=tab: marker in tab.event_ids(), what=f"the marker in {tab.session_id}")
        tab.messages[:] = [m for m in tab.messages if m.get("metadata", {}).get("herald_event_id") != marker]


async def test_a_user_event_reaches_every_tab_on_every_replica_once_in_order(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    on_a, on_b = await tabs.open(replicas[0], alice), await tabs.open(replicas[1], alice)
    bobs = await tabs.open(replicas[0], bob)

    sent = [await publisher.send({"user": alice}, f"number {n}") for n in range(20)]

    for tab in (on_a, on_b):
        await wait_until(lambda tab=tab: len(tab.event_ids()) >= len(sent), what="all 20 events")
        assert tab.event_ids() == sent
    await settled(publisher, bob, bobs)
    assert bobs.event_ids() == []


async def test_an_offline_users_events_wait_and_arrive_in_order_on_any_replica(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    carol = fresh_user("carol")
    sent = [await publisher.send({"user": carol}, f"while away {n}") for n in range(5)]
    tab = await tabs.open(replicas[1], carol)
    await wait_until(lambda: len(tab.event_ids()) >= len(sent), what="the waiting events")
    assert tab.event_ids() == sent


async def test_an_expired_event_is_dead_lettered_not_shown(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str) -> None:
    dave = fresh_user("dave")
    expiring = await publisher.send({"user": dave}, "stale soon", ttl_seconds=1)
    kept = await publisher.send({"user": dave}, "still fresh")

    async def expired() -> bool:
        return (await dead_letter_reasons(amqp_url)).get(expiring) == "expired"

    await eventually(expired, what="the broker to dead-letter the expired event")
    tab = await tabs.open(replicas[0], dave)
    await wait_until(lambda: kept in tab.event_ids(), what="the unexpired event")
    assert tab.event_ids() == [kept]


async def test_a_session_event_reaches_only_that_session_of_its_owner(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    first, second = await tabs.open(replicas[0], alice), await tabs.open(replicas[1], alice)
    bobs = await tabs.open(replicas[1], bob)

    mine = await publisher.send({"user": alice, "session": second.session_id})
    stolen = await publisher.send({"user": bob, "session": second.session_id}, "bob naming alice's tab")

    await wait_until(lambda: mine in second.event_ids(), what="the session event")
    await settled(publisher, alice, first, second)
    await settled(publisher, bob, bobs)
    assert first.event_ids() == [] and second.event_ids() == [mine] and bobs.event_ids() == []
    assert "another user" in (await dead_letter_reasons(amqp_url)).get(stolen, "")


async def test_a_session_event_waits_for_its_tab_to_reconnect(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    alice = fresh_user("alice")
    staying, leaving = await tabs.open(replicas[0], alice), await tabs.open(replicas[1], alice)
    await settled(publisher, alice, staying, leaving)  # both tabs are fully set up
    await leaving.disconnect()
    waiting = await publisher.send({"user": alice, "session": leaving.session_id})
    await settled(publisher, alice, staying)
    assert waiting not in staying.event_ids()

    await leaving.connect()  # same session id: the same Chainlit session, restored
    await tabs.ready(leaving)
    await wait_until(lambda: waiting in leaving.event_ids(), what="the event kept for the tab")
    assert leaving.event_ids().count(waiting) == 1


@pytest.mark.parametrize("fallback", ["user", "drop"])
async def test_a_session_event_falls_back_after_the_session_timeout(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str, fallback: str) -> None:
    alice = fresh_user("alice")
    staying, leaving = await tabs.open(replicas[0], alice), await tabs.open(replicas[1], alice)
    await settled(publisher, alice, staying, leaving)
    await leaving.disconnect()
    event = await publisher.send({"user": alice, "session": leaving.session_id, "fallback": fallback})
    if fallback == "user":
        await wait_until(lambda: event in staying.event_ids(), timeout=SESSION_TIMEOUT_SECONDS + 15,
                         what="the event to fall back to the user's other tab")
    else:
        # Once the tab's queue is gone, its events have been handed to the inbox, ahead of the marker.
        async def tab_queue_gone() -> bool:
            return not await queue_exists(amqp_url, session_queue_name(leaving.session_id))

        await eventually(tab_queue_gone, timeout=SESSION_TIMEOUT_SECONDS + 15, what="the session's queue to go")
    await settled(publisher, alice, staying)
    assert staying.event_ids().count(event) == (1 if fallback == "user" else 0)
