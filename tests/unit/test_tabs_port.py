"""The chat's delivery logic against an in-memory fake of the tabs port (tests/support/fake_tabs.py):
no Chainlit, no broker. The replica runs as it does while its broker link is down (tabs connect and
drop, nothing is declared), and the parts its consumers call are driven as the consumers would:
a tab queue's message (`TabShowing.handle`), an inbox's (`InboxRelay.handle`), a replica queue's
(`ReplicaBroadcasts.handle`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, cast

import pytest
from aiormq import spec

from herald.chat.broadcasts import ReplicaBroadcasts
from herald.chat.config import ChatSettings
from herald.chat.held_acks import HeldAcks
from herald.chat.inbox_relay import InboxRelay
from herald.chat.replica import Replica
from herald.chat.tab_showing import TabShowing
from herald.chat.thread_persistence import persist_to_thread
from herald.contract.broker_link import BrokerLink
from herald.contract.events import Event, EventRequest
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import user_routing_key
from tests.support.fake_tabs import FakeTabs, message_of
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit

ALICE_1, ALICE_2, ALICE_3, BOB_1 = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 5))
KEY = b"ack key of the test"
THREAD_OF_ALICE, THREAD_OF_BOB = "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"


def event(target: dict[str, Any], body: str = "hello") -> Event:
    return EventRequest.model_validate({"target": target, "body": body}).to_event("test")


class FakePublisher:
    """Where the inbox relay copies an event to: the sessions exchange, by user key."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []  # (routing key, event id)

    async def publish(self, body: bytes, *, exchange: str, routing_key: str, properties: spec.Basic.Properties,
                      mandatory: bool = True) -> None:
        self.published.append((routing_key, Event.from_wire(body).id))


class Parts:
    def __init__(self, tabs: FakeTabs, replica: Replica) -> None:
        self.tabs, self.replica = tabs, replica
        self.publisher = FakePublisher()
        self.showing: TabShowing = replica._show  # as the tab queues' consumers call it
        self.relay = InboxRelay(cast(ConfirmedPublisher, self.publisher), None, self.showing.show_here,
                                self.showing.proven_here, HeldAcks(hold_seconds=60))
        self.broadcasts = ReplicaBroadcasts(tabs, self.showing.shown_to_all)


@pytest.fixture
async def parts() -> AsyncIterator[Parts]:
    tabs = FakeTabs()
    # A link that is never started: the replica runs as it does while the broker is away.
    link = BrokerLink("amqp://guest:guest@127.0.0.1:9/", "test-tabs-port")
    replica = Replica(ChatSettings(reconnect_grace_seconds=60), link, tabs, session_timeout=60,
                      ack_key=KEY)
    stop_watching = tabs.watch(replica.on_connected, replica.on_disconnected)
    built = Parts(tabs, replica)
    yield built
    stop_watching()
    await built.relay.release_all()
    await replica.close()
    await link.close()  # an aio-pika connection left unclosed warns when collected, in some later test


async def test_an_inbox_event_is_shown_in_exactly_its_users_live_tabs(parts: Parts) -> None:
    tabs = parts.tabs
    for session, user in ((ALICE_1, "alice"), (ALICE_2, "alice"), (ALICE_3, "alice"), (BOB_1, "bob")):
        await tabs.open(session, user)
    first, second, bobs = event({"user": "alice"}, "first"), event({"user": "alice"}, "second"), event({"user": "bob"})

    # Just connected, each tab may have a backlog in its queue: its user's first event goes there.
    first_in_inbox, first_message = message_of(first)
    await parts.relay.handle("alice", first, first_message)
    await parts.relay.handle("bob", bobs, message_of(bobs)[1])
    assert tabs.shown == []
    assert parts.publisher.published == [(user_routing_key("alice"), first.id), (user_routing_key("bob"), bobs.id)]
    copies = {}
    for session, relayed in ((ALICE_1, first), (ALICE_2, first), (ALICE_3, first), (BOB_1, bobs)):
        copies[session], copy = message_of(relayed, relayed_for="alice" if relayed is first else "bob")
        await parts.showing.handle(session, relayed, copy)
    tabs.tabs[ALICE_3].live = False  # its socket died; Chainlit has not noticed yet
    # Caught up: the second is shown straight from the inbox, in the live tabs of alice only.
    await parts.relay.handle("alice", second, message_of(second)[1])

    assert {session: tabs.shown_in(session) for session in (ALICE_1, ALICE_2, ALICE_3, BOB_1)} == {
        ALICE_1: [first.id, second.id], ALICE_2: [first.id, second.id], ALICE_3: [first.id], BOB_1: [bobs.id]}
    assert parts.replica.registry.get(ALICE_3).awaiting_copy == second.id  # it comes through its queue
    assert all(copy.outcome is None for copy in copies.values())  # shown, not proven
    tabs.prove(ALICE_1)
    await wait_until(lambda: copies[ALICE_1].outcome == "ack", timeout=5, what="the proven copy's ack")
    assert copies[ALICE_2].outcome is None
    assert first_in_inbox.outcome == "ack"  # the second event's handling acknowledged the first's, held back


async def test_a_tab_that_drops_gets_its_unproven_events_back_in_its_queue(parts: Parts) -> None:
    tabs = parts.tabs
    await tabs.open(ALICE_1, "alice")
    proven, unproven = (event({"user": "alice", "session": ALICE_1}, body) for body in ("read", "unread"))
    proven_message, message = message_of(proven)
    await parts.showing.handle(ALICE_1, proven, message)
    tabs.prove(ALICE_1)
    unproven_message, message = message_of(unproven)
    await parts.showing.handle(ALICE_1, unproven, message)
    await wait_until(lambda: proven_message.outcome == "ack", timeout=5, what="the proven message's ack")

    await tabs.drop(ALICE_1)

    assert unproven_message.outcome == "requeued"  # back to the tab's queue, to come again
    await tabs.open(ALICE_1, "alice")  # back, on a new socket
    again, message = message_of(unproven)
    await parts.showing.handle(ALICE_1, unproven, message)
    redelivered, message = message_of(proven)
    await parts.showing.handle(ALICE_1, proven, message)
    assert tabs.shown_in(ALICE_1) == [proven.id, unproven.id, unproven.id]  # the proven one is not shown twice
    assert redelivered.outcome == "ack" and again.outcome is None


async def test_a_proof_from_the_socket_before_a_reconnect_proves_nothing(parts: Parts) -> None:
    tabs = parts.tabs
    old_socket = await tabs.open(ALICE_1, "alice")
    before, after = event({"user": "alice", "session": ALICE_1}), event({"user": "alice", "session": ALICE_1})
    before_message, message = message_of(before)
    await parts.showing.handle(ALICE_1, before, message)
    await tabs.open(ALICE_1, "alice")  # back on a new socket before the old one was seen to go
    assert before_message.outcome == "requeued"  # to come again on the new socket
    after_message, message = message_of(after)
    await parts.showing.handle(ALICE_1, after, message)

    tabs.prove(ALICE_1, old_socket)
    await asyncio.sleep(0.01)  # a negative window: the old socket's proof would settle in a turn of the loop
    assert after_message.outcome is None
    tabs.prove(ALICE_1)
    await wait_until(lambda: after_message.outcome == "ack", timeout=5, what="the proof of the current socket")


async def test_a_live_broadcast_reaches_every_live_tab_and_comes_again_to_one_that_dropped_unproven(
        parts: Parts) -> None:
    tabs = parts.tabs
    for session, user in ((ALICE_1, "alice"), (ALICE_2, "alice"), (BOB_1, "bob")):
        await tabs.open(session, user)
    await tabs.drop(ALICE_2)
    broadcast = event({"broadcast": True})
    outcome, message = message_of(broadcast)

    await parts.broadcasts.handle(broadcast, message)

    assert tabs.broadcasts == [(broadcast.id, {ALICE_1, BOB_1})]  # one rendering, for the live tabs
    assert outcome.outcome == "ack"
    tabs.prove(BOB_1)
    await tabs.drop(ALICE_1)
    await tabs.drop(BOB_1)
    await tabs.open(ALICE_1, "alice")
    await tabs.open(BOB_1, "bob")
    assert tabs.shown_in(ALICE_1) == [broadcast.id]  # shown again: it was not proven read
    assert tabs.shown_in(BOB_1) == []


async def test_a_thread_event_is_written_through_the_port_into_its_users_thread_only() -> None:
    tabs = FakeTabs(keeps_threads=True)
    tabs.threads = {THREAD_OF_ALICE: "alice", THREAD_OF_BOB: "bob"}
    publisher = FakePublisher()

    async def shown_nowhere(user: str, shown: Event, size: int) -> None:
        pass

    relay = InboxRelay(cast(ConfirmedPublisher, publisher), partial(persist_to_thread, tabs), shown_nowhere,
                       lambda user, event_id: False, HeldAcks(hold_seconds=60))
    written, not_hers = (event({"user": "alice", "thread": thread}) for thread in (THREAD_OF_ALICE, THREAD_OF_BOB))
    written_message, message = message_of(written)
    await relay.handle("alice", written, message)
    await relay.handle("alice", not_hers, message_of(not_hers)[1])
    await relay.release_all()

    assert tabs.written == [(THREAD_OF_ALICE, written.id)]
    assert written_message.outcome == "ack"
    assert publisher.published == [(user_routing_key("alice"), not_hers.id)]  # falls back to her tabs
    assert not await persist_to_thread(FakeTabs(keeps_threads=False), written)
