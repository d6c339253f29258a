"""A tab's window of events emitted to it and not yet proven read (services/chat/unproven.py)."""

from __future__ import annotations

import pytest

from herald.chat.unproven import MAX_UNPROVEN_BYTES, MAX_UNPROVEN_EVENTS, UnprovenWindow
from herald.contract.events import Event, EventRequest

pytestmark = pytest.mark.unit


def an_event(event_id: str) -> Event:
    return EventRequest.model_validate({"id": event_id, "target": {"user": "alice"}, "body": "x"}).to_event("t")


def ids(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [entry.event.id for entry in entries]


def test_a_pong_proves_only_what_was_emitted_before_the_ping_it_answers() -> None:
    window: UnprovenWindow[str] = UnprovenWindow()
    window.add(an_event("a"), mark=0, size=1, held="delivery-a")  # emitted before ping 1
    window.add(an_event("b"), mark=1, size=1, held=None)  # emitted after ping 1 was queued
    assert window.settle(answered=1) and "b" in window and "a" not in window
    assert window.settle(answered=1) == []  # the same count again proves nothing more
    proven = window.settle(answered=2)
    assert ids(proven) == ["b"] and len(window) == 0 and window.bytes == 0


def test_the_proven_entries_carry_the_deliveries_to_acknowledge() -> None:
    window: UnprovenWindow[str] = UnprovenWindow()
    window.add(an_event("a"), mark=0, size=1, held=None)
    assert window.hold("a", "copy-of-a")  # its copy came through the tab's queue after the direct show
    assert not window.hold("a", "second-copy")  # one delivery is held per event
    assert not window.hold("unknown", "x")
    assert [entry.held for entry in window.settle(answered=1)] == ["copy-of-a"]


def test_a_proof_that_came_before_the_entry_proves_it_at_once() -> None:
    window: UnprovenWindow[str] = UnprovenWindow()
    window.settle(answered=3)
    at_once = window.add(an_event("a"), mark=2, size=1, held="d")
    assert at_once is not None and at_once.held == "d" and "a" not in window


def test_an_event_emitted_again_moves_to_the_end_and_keeps_its_delivery() -> None:
    window: UnprovenWindow[str] = UnprovenWindow()
    window.add(an_event("a"), mark=0, size=5, held="d")
    window.add(an_event("b"), mark=0, size=5, held=None)
    window.add(an_event("a"), mark=1, size=5, held=None)
    assert window.bytes == 10
    assert ids(window.settle(answered=1)) == ["b"]
    taken = window.take_all()
    assert ids(taken) == ["a"] and taken[0].held == "d" and len(window) == 0


def test_the_window_is_full_by_bytes_or_by_count() -> None:
    by_bytes: UnprovenWindow[str] = UnprovenWindow()
    by_bytes.add(an_event("big"), mark=0, size=MAX_UNPROVEN_BYTES, held=None)
    assert by_bytes.full()
    by_count: UnprovenWindow[str] = UnprovenWindow()
    for n in range(MAX_UNPROVEN_EVENTS - 1):
        by_count.add(an_event(f"e{n}"), mark=0, size=1, held=None)
    assert not by_count.full()
    by_count.add(an_event("last"), mark=0, size=1, held=None)
    assert by_count.full()
