"""Which ids a browser may bring for its tab: only ones Chainlit makes (services/chat/tab_ids.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from herald.chat.tab_ids import QUOTED_CHARACTERS, refusal_reason

pytestmark = pytest.mark.unit

SESSION, THREAD = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.mark.parametrize("auth", [
    {"sessionId": SESSION, "threadId": ""},  # a new tab: Chainlit makes the thread
    {"sessionId": SESSION, "threadId": None},
    {"sessionId": SESSION},
    {"sessionId": SESSION, "threadId": THREAD},  # a resumed thread
])
def test_chainlits_own_ids_pass(auth: dict[str, Any]) -> None:
    assert refusal_reason(auth) is None


@pytest.mark.parametrize(("auth", "reason"), [
    (None, "no auth payload"),
    ("sessionId", "no auth payload"),
    ({}, "session id None"),
    ({"sessionId": "#"}, "session id '#' is not"),  # a topic wildcard: would bind every key
    ({"sessionId": "*"}, "session id '*' is not"),
    ({"sessionId": f"{SESSION}.x"}, "is not a Chainlit session id"),  # a dot adds a routing-key word
    ({"sessionId": SESSION.upper()}, "is not a Chainlit session id"),
    ({"sessionId": f"{SESSION}\n"}, "is not a Chainlit session id"),
    ({"sessionId": "a" * 300}, "(300 characters) is not"),  # a queue name the broker refuses
    ({"sessionId": 12345}, "session id 12345 is not"),
    ({"sessionId": SESSION, "threadId": "#"}, "thread id '#' is not"),
    ({"sessionId": SESSION, "threadId": "t" * 300}, "thread id"),
    ({"sessionId": SESSION, "threadId": ["x"]}, "thread id ['x'] is not"),
])
def test_other_ids_are_refused_with_the_reason(auth: Any, reason: str) -> None:
    assert reason in (refusal_reason(auth) or "")


def test_a_long_id_is_quoted_short() -> None:
    reason = refusal_reason({"sessionId": "x" * 300}) or ""
    assert "x" * (QUOTED_CHARACTERS + 1) not in reason and "300 characters" in reason
