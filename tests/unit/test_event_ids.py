"""Client-given event ids are scoped to the API key that gave them; generated ids stay as they are."""

from __future__ import annotations

import pytest

from herald.contract.events import Event, EventRequest
from herald.notifier.event_ids import event_from, scoped_event_id

pytestmark = pytest.mark.unit


def a_request(**fields: object) -> EventRequest:
    return EventRequest.model_validate({"target": {"user": "alice"}, "body": "hi", **fields})


def test_the_same_id_from_two_keys_makes_two_event_ids() -> None:
    ci, ops = event_from(a_request(id="deploy-7"), "ci"), event_from(a_request(id="deploy-7"), "ops")
    assert (ci.id, ops.id) == ("ci:deploy-7", "ops:deploy-7")
    assert ci.source == "ci" and ops.source == "ops"


def test_a_generated_id_is_not_scoped() -> None:
    event = event_from(a_request(), "ci")
    assert event.id.startswith("evt_") and ":" not in event.id


def test_a_scoped_id_too_long_for_the_wire_becomes_a_digest_that_still_names_the_key() -> None:
    given = "x" * 128
    scoped = scoped_event_id("k" * 64, given)
    assert scoped.startswith("k" * 64 + ":sha256-") and len(scoped) <= 128
    assert scoped != scoped_event_id("k" * 64, "y" * 128)
    assert scoped != scoped_event_id("j" * 64, given)
    event = event_from(a_request(id=given), "k" * 64)
    assert Event.from_wire(event.to_wire()).id == scoped  # still a valid id on the wire, as the chat reads it
