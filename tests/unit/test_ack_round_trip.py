"""The ack round trip's logic (services/chat/acknowledgements.py) against the in-memory fake of the tabs
port (tests/support/fake_tabs.py) and a publisher that records: no Chainlit, no broker. What the bus
carries between the click and the replicas is fed back by hand (`Acknowledgements.arrived`), as every
replica's acks queue would deliver it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from aiormq import spec

from herald.chat.ack_signature import ANY_USER, signed_payload
from herald.chat.acknowledgements import NOT_RECORDED, Acknowledgements
from herald.chat.config import ChatSettings
from herald.chat.replica import Replica
from herald.contract.acks import Acknowledgement
from herald.contract.broker_link import BrokerLink
from herald.contract.events import Event, EventRequest
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import ACKS_EXCHANGE, ack_routing_key
from tests.support.fake_tabs import FakeTabs, message_of

pytestmark = pytest.mark.unit

KEY = b"the replicas' shared ack key"
ALICE_1, ALICE_2, BOB_1 = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 4))


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, bytes]] = []  # (exchange, routing key, body)
        self.failing = False

    async def publish(self, body: bytes, *, exchange: str, routing_key: str, properties: spec.Basic.Properties,
                      mandatory: bool = True) -> None:
        if self.failing:
            raise ConnectionError("the broker is away")
        self.published.append((exchange, routing_key, body))


class Parts:
    def __init__(self, tabs: FakeTabs, replica: Replica) -> None:
        self.tabs, self.replica = tabs, replica
        self.publisher = RecordingPublisher()
        # The replica's own, but publishing to the recorder (the replica's channel is never opened here).
        self.acks = Acknowledgements(replica.registry, tabs, replica.ackable, KEY,
                                     cast(ConfirmedPublisher, self.publisher), cast(Any, None), "test-replica")

    async def show(self, event: Event, *sessions: str) -> None:
        for session in sessions:
            await self.replica._show.handle(session, event, message_of(event, relayed_for=event.target.user)[1])  # type: ignore[union-attr]

    async def deliver_published(self) -> None:
        """What the bus does: each published ack reaches every replica's acks queue."""
        for _, _, body in self.publisher.published:
            await self.acks.arrived(Acknowledgement.from_wire(body))


@pytest.fixture
async def parts() -> AsyncIterator[Parts]:
    tabs = FakeTabs()
    link = BrokerLink("amqp://guest:guest@127.0.0.1:9/", "test-acks")  # never started
    replica = Replica(ChatSettings(reconnect_grace_seconds=60), link, tabs, session_timeout=60, ack_key=KEY)
    stop_watching = tabs.watch(replica.on_connected, replica.on_disconnected)
    built = Parts(tabs, replica)
    stop_acks = tabs.watch_acks(built.acks.clicked, built.acks.resumed)
    for session, user in ((ALICE_1, "alice"), (ALICE_2, "alice"), (BOB_1, "bob")):
        await tabs.open(session, user)
    yield built
    stop_acks()
    stop_watching()
    await replica.close()
    await link.close()  # an aio-pika connection left unclosed warns when collected, in some later test


def ackable(target: dict[str, Any]) -> Event:
    return EventRequest.model_validate({"target": target, "title": "Deploy", "body": "4711 is out",
                                        "actions": [{"type": "ack", "label": "On it"}]}).to_event("ci")


async def test_a_signed_click_publishes_once_and_shows_acknowledged_in_every_tab_of_that_user(parts: Parts) -> None:
    event = ackable({"user": "alice"})
    await parts.show(event, ALICE_1, ALICE_2)

    answer = await parts.tabs.click(ALICE_1, signed_payload(KEY, event.id, "alice", "On it"))

    assert answer == "acknowledged"
    assert [(exchange, key) for exchange, key, _ in parts.publisher.published] == [
        (ACKS_EXCHANGE, ack_routing_key("alice"))]
    ack = Acknowledgement.from_wire(parts.publisher.published[0][2])
    assert (ack.event_id, ack.user, ack.session, ack.label) == (event.id, "alice", ALICE_1, "On it")
    assert parts.tabs.acknowledged == []  # shown only once the ack comes back from the bus
    await parts.deliver_published()
    assert sorted(parts.tabs.acknowledged) == [(ALICE_1, event.id, "alice"), (ALICE_2, event.id, "alice")]
    # Shown again later (a replay), it is shown acknowledged.
    await parts.tabs.open(ALICE_2, "alice")
    await parts.show(event, ALICE_2)
    assert parts.tabs.shown_in(ALICE_2) == [event.id, event.id]
    assert parts.tabs.acknowledged[2:] == [(ALICE_2, event.id, "alice")]


@pytest.mark.parametrize("payload", [
    signed_payload(KEY, "the-event", "alice", "On it"),  # alice's button, clicked by bob
    signed_payload(b"another key", "the-event", "bob", "On it"),  # signed by someone else
    {**signed_payload(KEY, "the-event", "bob", "On it"), "event": "another-event"},  # its event changed
    {**signed_payload(KEY, "the-event", "bob", "On it"), "label": "Other"},  # its label changed
    {**signed_payload(KEY, "the-event", "bob", "On it"), "for": ANY_USER},  # made a broadcast's
    {"event": "the-event", "for": "bob", "label": "On it"},  # unsigned
    "not a payload",
], ids=["another users", "other key", "other event", "other label", "made a broadcast", "unsigned", "not a dict"])
async def test_a_forged_or_another_users_click_is_refused_and_publishes_nothing(parts: Parts, payload: Any) -> None:
    assert await parts.tabs.click(BOB_1, payload) == "refused"
    assert parts.publisher.published == []
    assert parts.tabs.acknowledged == [] and parts.tabs.toasts == []


async def test_any_reader_may_ack_a_live_broadcast_and_only_their_tabs_show_it(parts: Parts) -> None:
    event = ackable({"broadcast": True})
    await parts.tabs.join_broadcasts(ALICE_1)
    await parts.tabs.join_broadcasts(BOB_1)
    await parts.replica._show.shown_to_all(event, len(event.body))  # as ReplicaBroadcasts does after show_to_all

    assert await parts.tabs.click(BOB_1, signed_payload(KEY, event.id, ANY_USER, "On it")) == "acknowledged"
    await parts.deliver_published()
    assert parts.tabs.acknowledged == [(BOB_1, event.id, "bob")]


async def test_a_click_the_broker_does_not_take_fails_and_tells_the_tab(parts: Parts) -> None:
    event = ackable({"user": "alice"})
    await parts.show(event, ALICE_1)
    parts.publisher.failing = True

    assert await parts.tabs.click(ALICE_1, signed_payload(KEY, event.id, "alice", "On it")) == "failed"
    assert parts.tabs.toasts == [(ALICE_1, NOT_RECORDED, "error")]


async def test_a_resumed_tab_shows_the_first_ack_of_its_kept_step_once(parts: Parts) -> None:
    event = ackable({"user": "alice"})
    kept = {"id": "kept-step", "output": "**Info · Deploy**", "metadata": {"herald_event_id": event.id}}
    parts.tabs.resume(ALICE_1, event.id, kept)  # this replica never showed the event itself

    for _ in range(2):  # two clicks, in two tabs: the first counts
        assert await parts.tabs.click(ALICE_2, signed_payload(KEY, event.id, "alice", "On it")) == "acknowledged"
    await parts.deliver_published()

    assert parts.tabs.acknowledged == [(ALICE_1, "kept-step", "alice")]
