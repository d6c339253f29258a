"""The chat's routing decisions, without a broker: who shows what, and what an inbox does with it."""

from __future__ import annotations

import pytest

from herald.chat.routing import (
    Departure,
    InboxDecision,
    SessionDecision,
    decide_departure,
    decide_inbox,
    decide_session,
    is_live_broadcast,
)
from herald.chat.session_registry import SessionRecord
from herald.contract.events import Event, EventRequest

pytestmark = pytest.mark.unit


def event(target: dict[str, object], event_id: str = "e1") -> Event:
    return EventRequest.model_validate({"id": event_id, "target": target, "body": "x"}).to_event("test")


# Chainlit's session and thread ids are uuids (shared/events.py).
ALICE_SESSION, OTHER_SESSION, SESSION = (f"5e551011-0000-4000-8000-00000000000{n}" for n in range(3))
ALICE_THREAD, OTHER_THREAD, THREAD = (f"7e4ead00-0000-4000-8000-00000000000{n}" for n in range(3))
ALICE_TAB = SessionRecord(id=ALICE_SESSION, user="alice", thread_id=ALICE_THREAD)


@pytest.mark.parametrize(("target", "data_layer", "decision"), [
    ({"user": "alice"}, False, InboxDecision.RELAY),
    ({"user": "bob"}, False, InboxDecision.REJECT),  # never relay another user's event
    ({"user": "bob", "session": SESSION}, True, InboxDecision.REJECT),
    ({"group": "ops"}, False, InboxDecision.RELAY),
    ({"broadcast": True, "persist": True}, False, InboxDecision.RELAY),
    # A session or thread event in the inbox is a fallback: its tab or thread was not there.
    ({"user": "alice", "session": SESSION}, False, InboxDecision.RELAY),
    ({"user": "alice", "session": SESSION, "fallback": "drop"}, True, InboxDecision.DROP),
    ({"user": "alice", "thread": THREAD}, False, InboxDecision.RELAY),
    ({"user": "alice", "thread": THREAD, "fallback": "drop"}, False, InboxDecision.DROP),
    ({"user": "alice", "thread": THREAD}, True, InboxDecision.PERSIST),
    ({"user": "alice", "thread": THREAD, "fallback": "drop"}, True, InboxDecision.PERSIST),
])
def test_inbox_decisions(target: dict[str, object], data_layer: bool, decision: InboxDecision) -> None:
    assert decide_inbox(event(target), "alice", has_data_layer=data_layer) is decision


@pytest.mark.parametrize(("target", "relayed_for", "decision"), [
    ({"user": "alice"}, "alice", SessionDecision.SHOW),
    ({"user": "alice"}, None, SessionDecision.REJECT),  # user events only come relayed from the inbox
    ({"user": "alice"}, "bob", SessionDecision.REJECT),  # relayed from someone else's inbox
    ({"group": "ops"}, "alice", SessionDecision.SHOW),
    ({"group": "ops"}, None, SessionDecision.REJECT),
    ({"broadcast": True}, None, SessionDecision.REJECT),  # live broadcasts go to replicas' queues
    ({"broadcast": True, "persist": True}, None, SessionDecision.REJECT),  # those come through inboxes
    ({"broadcast": True, "persist": True}, "alice", SessionDecision.SHOW),
    ({"user": "alice", "session": ALICE_SESSION}, None, SessionDecision.SHOW),
    ({"user": "alice", "session": OTHER_SESSION}, None, SessionDecision.REJECT),
    ({"user": "bob", "session": ALICE_SESSION}, None, SessionDecision.REJECT),  # bob naming alice's tab
    ({"user": "alice", "thread": ALICE_THREAD}, None, SessionDecision.SHOW),
    ({"user": "alice", "thread": OTHER_THREAD}, None, SessionDecision.REJECT),
    ({"user": "bob", "thread": ALICE_THREAD}, None, SessionDecision.REJECT),
    ({"user": "alice", "session": OTHER_SESSION}, "alice", SessionDecision.SHOW),  # its fallback, relayed
])
def test_session_decisions(target: dict[str, object], relayed_for: str | None, decision: SessionDecision) -> None:
    tab = SessionRecord(id=ALICE_TAB.id, user=ALICE_TAB.user, thread_id=ALICE_TAB.thread_id)
    assert decide_session(event(target), tab, relayed_for) is decision


def test_a_session_never_shows_an_event_twice() -> None:
    tab = SessionRecord(id=SESSION, user="alice", thread_id=None)
    first = event({"user": "alice"}, "dup")
    assert decide_session(first, tab, "alice") is SessionDecision.SHOW
    tab.mark_proven(first.id)
    assert decide_session(first, tab, "alice") is SessionDecision.ALREADY_SHOWN


@pytest.mark.parametrize(("relayed_for", "already_shown", "departure"), [
    ("alice", False, Departure.RETURN),  # relayed from the inbox: the user's other or next tab takes it
    (None, False, Departure.KEEP),  # for this very tab (its session or thread): waits for it
    # Shown straight from the inbox before its relayed copy was taken: handing it back would show it twice.
    ("alice", True, Departure.DONE),
    (None, True, Departure.DONE),
])
def test_what_a_departing_tab_leaves_behind(relayed_for: str | None, already_shown: bool,
                                           departure: Departure) -> None:
    assert decide_departure(relayed_for, already_shown) is departure


@pytest.mark.parametrize(("target", "live"), [
    ({"broadcast": True}, True),
    ({"broadcast": True, "persist": True}, False),  # through every inbox, kept for who is away
    ({"group": "ops"}, False),
    ({"user": "alice"}, False),
])
def test_only_live_broadcasts_go_to_every_replica(target: dict[str, object], live: bool) -> None:
    assert is_live_broadcast(event(target)) is live
