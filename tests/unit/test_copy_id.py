"""A relayed copy's message id: distinct per event and user, and never past AMQP's 255 bytes."""

from __future__ import annotations

import pytest

from herald.chat.inbox_relay import MAX_MESSAGE_ID_BYTES, copy_id
from herald.contract.events import EventRequest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("event_id", ["e" * 128, "evt-1"])
def test_copy_ids_are_distinct_per_user_and_short_enough(event_id: str) -> None:
    # The longest user ids, alike but for their last character: a truncated id would mix them up.
    users = ["u" * 127 + "a", "u" * 127 + "b", "short"]
    event = EventRequest.model_validate({"id": event_id, "target": {"group": "g"}, "body": "hi"}).to_event("it")
    ids = [copy_id(event, user) for user in users]
    assert len(set(ids)) == len(users)
    assert all(len(id_.encode()) <= MAX_MESSAGE_ID_BYTES and id_.startswith(f"{event_id}/") for id_ in ids)
    assert copy_id(event, "short") == f"{event_id}/short"  # readable where it fits
