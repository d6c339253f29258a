"""A browser chooses its tab's session and thread ids. Ids Chainlit never makes are refused at connect,
and another user's session id is refused without touching anyone else's delivery: real replicas,
real socket.io clients, a real broker.

Before: a session id of `#` bound a wildcard, a 300-character one left its tab silently without
events, and presenting another user's session id on another replica made that replica's declare fail
on the channel all its tabs consume on, which the broker then closed: every tab there lost its
consumer until the replica took its queues up again (docs/architecture.md, "browser-chosen ids").
"""

from __future__ import annotations

import uuid

import pytest
import socketio

from herald.contract.topology import session_queue_name
from tests.support.broker_probe import consumer_count, queue_exists
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

Replicas = tuple[Service, Service]

# What replica.py logs when its consuming channel was closed under it and it took its queues up again.
CHANNEL_RESET = "took up the queues of"


async def hostile_tab(replica: Service, user: str, **ids: str) -> ChatTab:
    return ChatTab(replica.url, await login_by_header(replica.url, user), **ids)


async def test_ids_chainlit_never_makes_are_refused_at_connect_and_others_keep_receiving(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str) -> None:
    replica = replicas[1]
    carol, mallory = fresh_user("carol"), fresh_user("mallory")
    bystander = await tabs.open(replica, carol)
    log_before = len(replica.output())

    sent = [await publisher.send({"user": carol}, "before")]
    for ids in ({"session_id": "#"}, {"session_id": "s" * 300}, {"session_id": "*.x"},
                {"thread_id": "#"}, {"thread_id": "t" * 300}):
        tab = await hostile_tab(replica, mallory, **ids)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await tab.connect()
        sent.append(await publisher.send({"user": carol}, f"while {ids} was refused"))

    await wait_until(lambda: len(bystander.event_ids()) >= len(sent), what="carol's events")
    assert bystander.event_ids() == sent
    assert not await queue_exists(amqp_url, session_queue_name("#"))
    log = replica.output()[log_before:]
    assert "refusing a socket: its session id '#' is not a Chainlit session id (a uuid)" in log
    assert "... (300 characters) is not a Chainlit session id (a uuid)" in log
    assert "refusing a socket: its thread id '#' is not a Chainlit thread id (a uuid)" in log
    assert CHANNEL_RESET not in log


async def test_another_users_session_id_is_refused_and_resets_nobodys_channel(
        replicas: Replicas, tabs: Tabs, publisher: Publisher, amqp_url: str) -> None:
    alice, carol, mallory = fresh_user("alice"), fresh_user("carol"), fresh_user("mallory")
    victim = await tabs.open(replicas[0], alice)
    bystander = await tabs.open(replicas[1], carol)  # on the replica the hostile tab connects to
    logs_before = [len(replica.output()) for replica in replicas]

    sent = [await publisher.send({"user": carol}, "before")]
    for attempt in range(3):
        # On alice's replica Chainlit itself refuses the id: the session there is alice's.
        same_replica = await hostile_tab(replicas[0], mallory, session_id=victim.session_id)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await same_replica.connect()
        # On another replica Chainlit makes a new session under that id; Herald refuses it.
        other_replica = await hostile_tab(replicas[1], mallory, session_id=victim.session_id)
        await other_replica.connect()
        await wait_until(lambda tab=other_replica: not tab.client.connected,  # type: ignore[misc]
                         what="the replica to close the hostile tab's socket")
        sent.append(await publisher.send({"user": carol}, f"after attempt {attempt}"))

    await wait_until(lambda: len(bystander.event_ids()) >= len(sent), what="carol's events")
    assert bystander.event_ids() == sent
    # Alice's tab is still hers alone: consumed once, and her session events reach it.
    assert await consumer_count(amqp_url, session_queue_name(victim.session_id)) == 1
    hers = await publisher.send({"user": alice, "session": victim.session_id}, "still yours")
    await wait_until(lambda: hers in victim.event_ids(), what="alice's session event")
    await settled(publisher, alice, victim)
    assert victim.event_ids() == [hers]

    hostile_log = replicas[1].output()[logs_before[1]:]
    assert hostile_log.count(f"refusing session {victim.session_id} of {mallory}: the broker refused its queue") == 3
    for replica, before in zip(replicas, logs_before, strict=True):
        assert CHANNEL_RESET not in replica.output()[before:]


async def test_chainlits_own_ids_still_connect(replicas: Replicas, tabs: Tabs, publisher: Publisher) -> None:
    """The refusal is no wider than it should be: a resumed thread's uuid and a fresh tab both connect."""
    dave = fresh_user("dave")
    tab = await tabs.open(replicas[0], dave, thread_id=str(uuid.uuid4()))
    event = await publisher.send({"user": dave, "thread": tab.thread_id})
    await wait_until(lambda: event in tab.event_ids(), what="the thread event")
