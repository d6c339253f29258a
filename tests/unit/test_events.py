"""The event contract: what publishers may send, and what survives the wire."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from herald.contract.events import (
    MAX_BODY_BYTES,
    MAX_DATA_BYTES,
    MAX_DATA_DEPTH,
    MAX_DATA_INTEGER_DIGITS,
    BroadcastTarget,
    Event,
    EventRequest,
    GroupTarget,
    Severity,
    UserTarget,
)

pytestmark = pytest.mark.unit

TAB = "3f1c0a2e-8d0b-4c59-9a1d-2b7e6f1d9c11"
TARGETS = [
    {"user": "alice"},
    {"user": "alice@example.com", "session": "3f1c0a2e-8d0b-4c59-9a1d-2b7e6f1d9c11"},
    {"user": "alice", "thread": "0b6a3e1c-52f4-4e0c-9a57-6c1d2f7e8a90", "fallback": "drop"},
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
    ({"user": "a", "session": TAB, "thread": TAB}, "not both"),
    # Session and thread ids are Chainlit's uuids: a wildcard, a dot, an overlong or an upper-case id
    # names no tab.
    ({"user": "a", "session": "#"}, "pattern"),
    ({"user": "a", "thread": "*"}, "pattern"),
    ({"user": "a", "session": f"{TAB}.x"}, "pattern"),
    ({"user": "a", "session": "a" * 300}, "pattern"),
    ({"user": "a", "session": TAB.upper()}, "pattern"),
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


def nested_data(levels: int, inner: Any = "bottom") -> dict[str, Any]:
    """A `data` object `levels` deep (the object itself is level 1), alternating objects and arrays."""
    value: Any = inner
    for level in range(levels - 1):
        value = [value] if level % 2 else {"k": value}
    return {"top": value}


def through_the_wire(data: dict[str, Any]) -> dict[str, Any] | None:
    """Accept `data` as the notifier does, and decode it as the chat does (event_consumer: Event.from_wire)."""
    event = EventRequest.model_validate({"target": {"user": "a"}, "body": "x", "data": data}).to_event("ci")
    return Event.from_wire(event.to_wire()).data


EDGES: dict[str, Any] = {
    "unicode": "é 😀 \u202e right-to-left \u0000 nul \ufeff \U0010ffff",
    "keys": {"": 0, "😀": 1, "\u0000": 2},
    "past 64 bits": [2**64, -(2**63) - 1, 2**200, 10**400 // 10**302],
    "99 digits, the most": [10**99 - 1, -(10**99) + 1],
    "floats": [1.7976931348623157e308, 5e-324, -0.0, 0.1],
    "scalars": [True, False, None, ""],
}


def test_data_at_every_limit_survives_the_wire_exactly() -> None:
    deepest = nested_data(MAX_DATA_DEPTH)
    assert through_the_wire(deepest) == deepest
    assert through_the_wire(EDGES) == EDGES  # integers exact: orjson alone would have made them floats
    padding = MAX_DATA_BYTES - len('{"pad":""}')
    largest = {"pad": "x" * padding}
    assert through_the_wire(largest) == largest
    wide = {"pad": "é" * (padding // 2)}  # the limit counts UTF-8 bytes
    assert through_the_wire(wide) == wide


@pytest.mark.parametrize(("data", "complaint"), [
    (nested_data(MAX_DATA_DEPTH + 1), f"data nests deeper than {MAX_DATA_DEPTH} levels"),
    (nested_data(5000), f"data nests deeper than {MAX_DATA_DEPTH} levels"),
    ({"pad": "x" * (MAX_DATA_BYTES - len('{"pad":""}') + 1)}, f"the limit is {MAX_DATA_BYTES} bytes"),
    ({"pad": "é" * ((MAX_DATA_BYTES - len('{"pad":""}')) // 2 + 1)}, f"the limit is {MAX_DATA_BYTES} bytes"),
    ({"n": [1, {"m": -(10**MAX_DATA_INTEGER_DIGITS)}]}, "integer of over 99 digits"),  # socket.io clients refuse it
    ({"n": 10**4300}, "integer of over 99 digits"),  # 4,301 digits: the chat's decoder would dead-letter it
    ({"s": "\ud800"}, "cannot be written as JSON"),
])
def test_data_past_a_limit_is_refused_naming_it(data: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint) as refused:
        EventRequest.model_validate({"target": {"user": "a"}, "body": "x", "data": data})
    assert [error["loc"] for error in refused.value.errors()] == [("data",)]


@pytest.mark.parametrize("field", ["title", "body"])
def test_text_with_a_lone_surrogate_is_refused(field: str) -> None:
    # Python's json module reads "\ud800" from a webhook payload; the wire's serializer cannot write it.
    event = {"target": {"user": "a"}, "body": "x", field: "broken \ud800 text"}
    with pytest.raises(ValidationError, match="unicode string"):
        EventRequest.model_validate(event)


@pytest.mark.parametrize("target", [{"broadcast": 1}, {"broadcast": True, "persist": 0}])
def test_a_broadcast_takes_booleans_only(target: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EventRequest.model_validate({"target": target, "body": "x"})


def test_every_target_kind_has_its_tag_in_the_discriminator() -> None:
    """A new kind of target joins the union and the discriminator's lookup together, or events of that
    kind could not be serialised (mypy's assert_never then names every place that branches on the kind)."""
    from typing import get_args

    from herald.contract.events import _KIND_OF, Target

    union, *_ = get_args(Target)
    tagged = {get_args(member)[0]: get_args(member)[1].tag for member in get_args(union)}
    assert tagged == _KIND_OF
