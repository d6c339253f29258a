"""The event contract: what publishers may send, and what survives the wire."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.events import (
    MAX_BODY_BYTES,
    BroadcastTarget,
    Event,
    EventRequest,
    GroupTarget,
    Severity,
    UserTarget,
)

pytestmark = pytest.mark.unit

TARGETS = [
    {"user": "alice"},
    {"user": "alice@example.com", "session": "3f1c0a2e-8d0b-4c59-9a1d-2b7e6f1d9c11"},
    {"user": "alice", "thread": "t-1", "fallback": "drop"},
    {"group": "on-call"},
    {"broadcast": True},
    {"broadcast": True, "persist": True},
]


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_kind_survives_the_wire(target: dict[str, object]) -> None:
    request = EventRequest.model_validate({"target": target, "body": "hi", "title": "T", "data": {"n": 1}})
    event = request.to_event(source="ci")
    again = Event.from_wire(event.to_wire())
    assert again == event
    assert again.v == 1 and again.source == "ci" and again.id.startswith("evt_")


def test_targets_are_told_apart_by_their_key() -> None:
    kinds = [type(EventRequest.model_validate({"target": t, "body": "x"}).target) for t in TARGETS]
    assert kinds == [UserTarget, UserTarget, UserTarget, GroupTarget, BroadcastTarget, BroadcastTarget]


@pytest.mark.parametrize(("target", "complaint"), [
    ({"nobody": "x"}, '"user", "group" or "broadcast"'),
    ({"user": "a*"}, "pattern"),  # a topic wildcard would widen routing
    ({"user": "a", "session": "s", "thread": "t"}, "not both"),
    ({"user": "a", "fallback": "drop"}, "fallback"),
    ({"broadcast": False}, "True"),
    ({"group": "ops", "user": "a"}, "Extra inputs"),
])
def test_bad_targets_are_refused_with_a_reason(target: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        EventRequest.model_validate({"target": target, "body": "x"})


def test_the_body_limit_counts_utf8_bytes() -> None:
    EventRequest.model_validate({"target": {"user": "a"}, "body": "é" * (MAX_BODY_BYTES // 2)})
    with pytest.raises(ValidationError, match="limit is 16384 bytes"):
        EventRequest.model_validate({"target": {"user": "a"}, "body": "é" * (MAX_BODY_BYTES // 2 + 1)})


def test_clients_cannot_set_source_or_created_at() -> None:
    for field in ("source", "created_at"):
        with pytest.raises(ValidationError, match="Extra inputs"):
            EventRequest.model_validate({"target": {"user": "a"}, "body": "x", field: "forged"})


def test_defaults() -> None:
    request = EventRequest.model_validate({"target": {"user": "a"}, "body": "x"})
    assert request.severity is Severity.INFO and request.id is None and request.ttl_seconds is None
    assert request.to_event("s").id != request.to_event("s").id  # generated ids are unique
