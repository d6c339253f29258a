"""Every target kind reaches exactly the sessions it should, across two chat replicas and over time."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from shared.topology import session_queue_name
from tests.conftest import Keys
from tests.e2e.conftest import SESSION_TIMEOUT_SECONDS
from tests.support import processes
from tests.support.broker_probe import consumer_count, dead_letter_reasons, queue_exists
from tests.support.chat_client import ChatTab
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e

Replicas = tuple[Service, Service]


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


async def test_a_thread_event_reaches_the_tabs_showing_that_thread(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    thread, other = str(uuid.uuid4()), str(uuid.uuid4())
    showing_a = await tabs.open(replicas[0], alice, thread_id=thread)
    showing_b = await tabs.open(replicas[1], alice, thread_id=thread)
    elsewhere = await tabs.open(replicas[0], alice, thread_id=other)
    bobs = await tabs.open(replicas[1], bob, thread_id=thread)  # bob claiming the same thread id

    event = await publisher.send({"user": alice, "thread": thread})
    await settled(publisher, alice, showing_a, showing_b, elsewhere)
    await settled(publisher, bob, bobs)
    assert showing_a.event_ids() == [event] and showing_b.event_ids() == [event]
    assert elsewhere.event_ids() == [] and bobs.event_ids() == []


@pytest.mark.parametrize("fallback", ["user", "drop"])
async def test_a_thread_nobody_shows_falls_back_like_a_session(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, fallback: str) -> None:
    alice = fresh_user("alice")
    tab = await tabs.open(replicas[0], alice, thread_id=str(uuid.uuid4()))
    event = await publisher.send({"user": alice, "thread": str(uuid.uuid4()), "fallback": fallback})
    await settled(publisher, alice, tab)
    assert tab.event_ids() == ([event] if fallback == "user" else [])


async def test_a_broadcast_reaches_every_connected_tab_and_no_closed_one(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    alices = [await tabs.open(replicas[0], alice), await tabs.open(replicas[1], alice)]
    bobs, closed = await tabs.open(replicas[1], bob), await tabs.open(replicas[0], bob)
    await settled(publisher, bob, bobs, closed)
    await closed.disconnect()

    notice = await publisher.send({"broadcast": True}, "maintenance at noon")
    for tab in (*alices, bobs):
        await wait_until(lambda tab=tab: notice in tab.event_ids(), what="the broadcast")
    await closed.connect()
    await tabs.ready(closed)
    await settled(publisher, bob, closed, bobs)
    await settled(publisher, alice, *alices)
    assert [tab.event_ids() for tab in (*alices, bobs)] == [[notice]] * 3
    assert closed.event_ids() == []  # it was away when the broadcast went out


async def test_a_persistent_broadcast_is_kept_for_users_who_come_later(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    online, offline = fresh_user("online"), fresh_user("offline")
    await publisher.send({"user": offline}, "gives the user an inbox")
    here = await tabs.open(replicas[0], online)
    # A short TTL: the copy kept in every inbox of the shared test broker must not outlive the test.
    notice = await publisher.send({"broadcast": True, "persist": True}, "new terms", ttl_seconds=20)
    await wait_until(lambda: notice in here.event_ids(), what="the broadcast in the online tab")

    later = await tabs.open(replicas[1], offline)
    await wait_until(lambda: notice in later.event_ids(), what="the kept broadcast")
    await settled(publisher, online, here)
    assert here.event_ids() == [notice] and later.event_ids().count(notice) == 1


async def test_a_group_event_reaches_its_members_and_membership_is_managed_over_http(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    group = f"oncall-{uuid.uuid4().hex[:8]}"
    alice, bob, carol = fresh_user("alice"), fresh_user("bob"), fresh_user("carol")
    for member in (alice, bob, bob):  # adding twice is harmless
        assert (await publisher.group("PUT", group, member)).status_code == 204
    assert (await publisher.group("GET", group)).json() == {"group": group, "members": sorted([alice, bob])}
    a, b, c = (await tabs.open(replicas[0], alice), await tabs.open(replicas[1], bob),
               await tabs.open(replicas[0], carol))

    both = await publisher.send({"group": group}, "page: db down")
    assert (await publisher.group("DELETE", group, bob)).status_code == 204
    only_alice = await publisher.send({"group": group}, "page: db up")

    await settled(publisher, alice, a)
    await settled(publisher, bob, b)
    await settled(publisher, carol, c)
    assert a.event_ids() == [both, only_alice] and b.event_ids() == [both] and c.event_ids() == []
    assert (await publisher.group("GET", group)).json()["members"] == [alice]


async def test_group_membership_needs_the_scope_and_a_valid_name(replicas: Replicas, publisher: Publisher) -> None:
    async with httpx.AsyncClient(base_url=publisher.notifier.url) as http:
        denied = await http.put("/v1/groups/ops/members/alice",
                                headers={"Authorization": f"Bearer {publisher.keys.publisher}"})
        bad = await http.put("/v1/groups/o*ps/members/alice",
                             headers={"Authorization": f"Bearer {publisher.keys.groups}"})
    assert denied.status_code == 403 and "groups:write" in denied.json()["detail"]
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_a_reconnected_tab_never_shows_an_event_twice(
        replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    alice = fresh_user("alice")
    tab = await tabs.open(replicas[0], alice)
    first = await publisher.send({"user": alice})
    await wait_until(lambda: first in tab.event_ids(), what="the first event")
    await tab.disconnect()
    missed = await publisher.send({"user": alice})  # nobody connected: it waits in the inbox
    await tab.connect()
    await tabs.ready(tab)
    await settled(publisher, alice, tab)
    assert tab.event_ids() == [first, missed]


async def test_a_stopping_replica_acknowledges_the_inbox_event_it_held_back(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str, users_file: Path, workdir: Path) -> None:
    """A replica acknowledges the newest event of an inbox one event late (services/chat/held_acks.py).
    When it stops, it acknowledges what it holds: else the broker would hand the event out again, and
    the user's next tab, on another replica, would show what their closed tab had shown."""
    erin = fresh_user("erin")
    settings = {"HERALD_AUTH_MODE": "header", "HERALD_SESSION_TIMEOUT_SECONDS": str(SESSION_TIMEOUT_SECONDS)}
    with processes.chat(amqp_url, users_file, workdir, name="stopping", env=settings) as stopping:
        tab = await tabs.open(stopping, erin)
        shown = await publisher.send({"user": erin})
        await wait_until(lambda: shown in tab.event_ids(), what="the event")
    later = await tabs.open(replicas[0], erin)
    await settled(publisher, erin, later)
    assert later.event_ids() == []


@pytest.mark.parametrize("fallback", ["user", "drop"])
async def test_a_session_nobody_knows_falls_back_at_once(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, fallback: str) -> None:
    alice = fresh_user("alice")
    tab = await tabs.open(replicas[1], alice)
    event = await publisher.send({"user": alice, "session": str(uuid.uuid4()), "fallback": fallback})
    await settled(publisher, alice, tab)
    assert tab.event_ids() == ([event] if fallback == "user" else [])


async def test_group_membership_survives_a_notifier_restart(
        replicas: Replicas, tabs: Tabs, keys: Keys, amqp_url: str, workdir: Path) -> None:
    group, member = f"team-{uuid.uuid4().hex[:8]}", fresh_user("member")
    state = workdir / f"groups-{group}.sqlite3"
    with processes.notifier(amqp_url, keys.file, workdir, state_db=state) as first:
        assert (await Publisher(first, keys).group("PUT", group, member)).status_code == 204
    tab = await tabs.open(replicas[0], member)
    with processes.notifier(amqp_url, keys.file, workdir, state_db=state) as second:
        restarted = Publisher(second, keys)
        assert (await restarted.group("GET", group)).json()["members"] == [member]
        event = await restarted.send({"group": group})  # routed by the broker's durable binding
        await settled(restarted, member, tab)
    assert tab.event_ids() == [event]


@pytest.mark.parametrize("after", ["reconnect", "new tab"])
async def test_events_in_flight_while_the_last_tab_drops_are_not_lost(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str, after: str) -> None:
    """A tab that is closing still looks connected for a moment; what it is sent then may never
    arrive. It is shown again on reconnect, and what the tab had not taken goes back to the inbox.
    Order is not asserted: the events handed back queue up behind any sent in the same instant."""
    for trial in range(4):
        user = fresh_user("racing")
        tab = await tabs.open(replicas[trial % 2], user)
        sent: list[str] = []

        async def burst(user: str = user, sent: list[str] = sent) -> None:
            for _ in range(4):
                sent.extend(await asyncio.gather(*(publisher.send({"user": user}) for _ in range(4))))

        async def drop_midway(tab: ChatTab = tab, sent: list[str] = sent, trial: int = trial) -> None:
            await wait_until(lambda: len(sent) >= 4 * (trial + 1) - 2, what="some events on their way")
            await tab.disconnect()

        await asyncio.gather(burst(), drop_midway())

        async def let_go(tab: ChatTab = tab) -> bool:
            return await consumer_count(amqp_url, session_queue_name(tab.session_id)) == 0

        await eventually(let_go, what="the tab's queue to be let go")
        if after == "reconnect":
            await tab.connect()
            await tabs.ready(tab)
            receiver = tab
        else:
            receiver = await tabs.open(replicas[trial % 2], user)
        await settled(publisher, user, receiver)
        shown = tab.event_ids() + (receiver.event_ids() if receiver is not tab else [])
        assert len(shown) == len(set(shown)), f"trial {trial}: shown twice"
        if after == "reconnect":
            assert set(shown) == set(sent), f"trial {trial}: lost {set(sent) - set(shown)}"
        else:
            # Only what was emitted to the dying socket in its last instant may be missing.
            assert set(shown) <= set(sent)
