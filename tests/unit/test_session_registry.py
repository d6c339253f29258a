"""Which sessions of which users are connected on one chat instance."""

from __future__ import annotations

import pytest

from services.chat.session_registry import REPLAY_MAX_EVENTS, REPLAY_SECONDS, SEEN_PER_SESSION, SessionRegistry
from shared.events import Event, EventRequest

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
    record.mark_shown(an_event("e1"), at=0.0)
    registry.disconnected("s1", at=1.0)
    again = registry.connected("s1", "alice", "t1")
    assert again is record and again.has_shown("e1") and again.connected


def test_a_session_id_reused_by_another_user_starts_afresh() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.get("s1").mark_shown(an_event("e1"), at=0.0)  # type: ignore[union-attr]
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
        record.mark_shown(an_event(f"e{n}"), at=float(n))
    assert len(record.seen) == SEEN_PER_SESSION
    assert not record.has_shown("e0") and record.has_shown(f"e{SEEN_PER_SESSION + 9}")


def test_a_reconnect_replays_what_was_shown_just_before_the_disconnect() -> None:
    registry = SessionRegistry()
    record = registry.connected("s1", "alice", None)
    assert record.to_replay() == []  # never disconnected: nothing to repeat
    record.mark_shown(an_event("old"), at=0.0)
    record.mark_shown(an_event("late-1"), at=100.0)
    record.mark_shown(an_event("late-2"), at=100.5)
    registry.disconnected("s1", at=100.0 + REPLAY_SECONDS - 1)
    again = registry.connected("s1", "alice", None)
    assert [event.id for event in again.to_replay()] == ["late-1", "late-2"]


def test_the_replay_is_bounded() -> None:
    registry = SessionRegistry()
    record = registry.connected("s1", "alice", None)
    for n in range(REPLAY_MAX_EVENTS + 5):
        record.mark_shown(an_event(f"e{n}"), at=10.0)
    registry.disconnected("s1", at=11.0)
    replay = registry.connected("s1", "alice", None).to_replay()
    assert len(replay) == REPLAY_MAX_EVENTS and replay[-1].id == f"e{REPLAY_MAX_EVENTS + 4}"
