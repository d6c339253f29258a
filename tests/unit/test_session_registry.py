"""Which sessions of which users are connected on one chat instance."""

from __future__ import annotations

import pytest

from services.chat.session_registry import SEEN_PER_SESSION, SessionRegistry

pytestmark = pytest.mark.unit


def test_the_last_disconnect_of_a_user_is_reported() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.connected("s2", "alice", None)
    assert registry.disconnected("s1") is None
    assert registry.disconnected("s1") is None  # a repeated disconnect changes nothing
    assert registry.disconnected("s2") == "alice"
    assert registry.connected_sessions("alice") == []


def test_a_reconnect_keeps_what_the_session_has_shown() -> None:
    registry = SessionRegistry()
    record = registry.connected("s1", "alice", "t1")
    record.mark_shown("e1")
    registry.disconnected("s1")
    again = registry.connected("s1", "alice", "t1")
    assert again is record and again.has_shown("e1") and again.connected


def test_a_session_id_reused_by_another_user_starts_afresh() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.get("s1").mark_shown("e1")  # type: ignore[union-attr]
    registry.connected("s1", "bob", None)
    record = registry.get("s1")
    assert record is not None and record.user == "bob" and not record.has_shown("e1")
    assert registry.connected_sessions("alice") == []


def test_disconnected_sessions_are_kept_until_forgotten() -> None:
    registry = SessionRegistry()
    registry.connected("s1", "alice", None)
    registry.connected("s2", "alice", None)
    registry.disconnected("s1")
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
        record.mark_shown(f"e{n}")
    assert len(record.seen) == SEEN_PER_SESSION
    assert not record.has_shown("e0") and record.has_shown(f"e{SEEN_PER_SESSION + 9}")
