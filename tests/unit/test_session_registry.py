"""Which sessions of which users are connected on one chat instance."""

from __future__ import annotations

import pytest

from herald.chat.session_registry import BROADCASTS_TO_REPLAY, CATCHING_UP, SEEN_PER_SESSION, SessionRegistry
from herald.contract.events import Event, EventRequest

pytestmark = pytest.mark.unit


def an_event(event_id: str) -> Event:
    return EventRequest.model_validate({"id": event_id, "target": {"user": "alice"}, "body": "x"}).to_event("t")


def test_the_last_disconnect_of_a_user_is_reported() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.connected("s2", "alice", None)
    assert registry.disconnected("s1", at=1.0) is None
    assert registry.disconnected("s1", at=2.0) is None  # a repeated disconnect changes nothing
    assert registry.disconnected("s2", at=3.0) == "alice"
    assert registry.connected_sessions("alice") == []


def test_a_reconnect_keeps_what_the_session_has_shown() -> None:
    registry = SessionRegistry()
    record = registry.connected("s1", "alice", "t1")
    record.mark_proven("e1")
    registry.disconnected("s1", at=1.0)
    again = registry.connected("s1", "alice", "t1")
    assert again is record and again.has_shown("e1") and again.connected


def test_a_session_id_reused_by_another_user_starts_afresh() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.get("s1").mark_proven("e1")  # type: ignore[union-attr]
    registry.connected("s1", "bob", None)
    record = registry.get("s1")
    assert record is not None and record.user == "bob" and not record.has_shown("e1")
    assert registry.connected_sessions("alice") == []


def test_disconnected_sessions_are_kept_until_forgotten() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.connected("s2", "alice", None)
    registry.disconnected("s1", at=1.0)
    assert [(r.id, r.connected) for r in registry.sessions()] == [("s1", False), ("s2", True)]
    assert [r.id for r in registry.connected_sessions("alice")] == ["s2"]
    registry.forget("s1")
    assert [r.id for r in registry.sessions()] == ["s2"] and registry.get("s1") is None


def test_seen_ids_are_bounded() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    record = registry.get("s1")
    assert record is not None
    for n in range(SEEN_PER_SESSION + 10):
        record.mark_proven(f"e{n}")
    assert len(record.seen) == SEEN_PER_SESSION
    assert not record.has_shown("e0") and record.has_shown(f"e{SEEN_PER_SESSION + 9}")


def test_shown_means_proven_and_unproven_events_count_as_shown_for_dedupe() -> None:
    record = SessionRegistry().connected("s1", "alice", None)
    record.unproven().add(an_event("e1"), mark=0, size=10, held=None)
    assert record.has_shown("e1") and not record.has_proven("e1")
    record.mark_proven("e1")
    assert record.has_proven("e1")


def test_a_reconnect_starts_a_new_window_and_catches_up_through_the_queue() -> None:
    registry = SessionRegistry()
    record = registry.connected("s1", "alice", None)
    assert record.awaiting_copy == CATCHING_UP  # a new tab's queue may hold its session's events
    record.copy_expected("e1")
    record.copy_taken("e0")  # an earlier copy: still waiting for e1's
    assert record.awaiting_copy == "e1"
    record.copy_taken("e1")
    assert record.awaiting_copy is None
    record.unproven().add(an_event("e2"), mark=0, size=10, held=None)
    registry.disconnected("s1", at=1.0)
    again = registry.connected("s1", "alice", None)
    assert again.window is None and again.awaiting_copy == CATCHING_UP


def test_unproven_broadcasts_are_kept_for_a_bounded_replay() -> None:
    record = SessionRegistry().connected("s1", "alice", None)
    record.keep_for_replay([an_event(f"b{n}") for n in range(BROADCASTS_TO_REPLAY + 3)])
    replay = record.take_replay()
    assert len(replay) == BROADCASTS_TO_REPLAY and replay[-1].id == f"b{BROADCASTS_TO_REPLAY + 2}"
    assert record.take_replay() == []
