"""An accepted event keeps everything the publisher sent, the wire holds only the fields it uses, and a refusal
says why (found by mutation testing, tests/README.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from herald.contract.events import Event, EventRequest, Severity

pytestmark = pytest.mark.unit

FULL = {
    "id": "deploy-4711",
    "target": {"user": "alice"},
    "title": "Deploy finished",
    "body": "**api** is live",
    "severity": "success",
    "ttl_seconds": 600,
    "data": {"build": 7},
    "url": "https://ci.example/runs/7",
    "image": "https://ci.example/graph.png",
    "actions": [{"type": "link", "label": "Logs", "url": "http://ci.example/logs"}, {"type": "ack", "label": "Seen"}],
}


def test_accepting_a_request_keeps_every_field_it_has() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = EventRequest.model_validate(FULL).to_event("ci", now=at)
    assert event.model_dump(exclude={"target"}) == {
        "v": 1, "id": "deploy-4711", "title": "Deploy finished", "body": "**api** is live",
        "severity": Severity.SUCCESS, "source": "ci", "created_at": at, "ttl_seconds": 600, "data": {"build": 7},
        "url": "https://ci.example/runs/7", "image": "https://ci.example/graph.png",
        "actions": [{"type": "link", "label": "Logs", "url": "http://ci.example/logs"},
                    {"type": "ack", "label": "Seen"}],
        "display": None,  # a message: left out on the wire
    }


def test_created_at_is_the_time_of_acceptance_in_utc() -> None:
    before = datetime.now(UTC)
    created_at = EventRequest.model_validate({"target": {"user": "a"}, "body": "x"}).to_event("s").created_at
    assert created_at.utcoffset() == timedelta(0)
    assert before <= created_at <= datetime.now(UTC)


def test_the_wire_leaves_out_what_the_event_does_not_use() -> None:
    # Event refuses unknown fields, so an optional field added later reaches an older chat only when it is
    # set: that is what lets an additive optional field keep the schema version.
    event = EventRequest.model_validate({"target": {"user": "a"}, "body": "x"}).to_event("s")
    wire = json.loads(event.to_wire())
    assert set(wire) == {"v", "id", "target", "body", "severity", "source", "created_at"}
    assert "session" not in wire["target"] and "thread" not in wire["target"]
    assert Event.from_wire(event.to_wire()) == event


def test_a_broadcast_flag_that_is_not_true_is_refused_with_the_reason() -> None:
    # 1 equals True in Python; the client is told the flag must be the JSON literal true.
    with pytest.raises(ValidationError) as refused:
        EventRequest.model_validate({"target": {"broadcast": 1}, "body": "x"})
    assert [(error["loc"][-1], error["msg"]) for error in refused.value.errors()] == [
        ("broadcast", "Value error, must be true")]
