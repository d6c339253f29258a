"""Queue arguments, exactly: RabbitMQ refuses to declare again a queue whose arguments differ in any way, so a
changed argument would break every inbox and tab queue an earlier Herald declared (found by mutation testing,
tests/README.md)."""

from __future__ import annotations

import pytest

from herald.contract.settings import CommonSettings
from herald.contract.topology import DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, InboxArguments, session_queue_arguments

pytestmark = pytest.mark.unit


def test_an_inbox_is_declared_with_exactly_these_arguments() -> None:
    assert InboxArguments(ttl_seconds=60, max_length=5).as_queue_arguments() == {
        "x-queue-type": "classic",
        "x-message-ttl": 60_000,
        "x-max-length": 5,
        "x-overflow": "reject-publish-dlx",
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-single-active-consumer": True,
    }


def test_inbox_arguments_come_from_the_settings_every_process_shares() -> None:
    settings = CommonSettings(inbox_ttl_seconds=90, inbox_max_length=7)
    assert InboxArguments.from_settings(settings) == InboxArguments(ttl_seconds=90, max_length=7)


def test_a_session_queue_is_declared_with_exactly_these_arguments() -> None:
    # Its events wait the session timeout for the tab; the queue itself outlives that, twice over.
    assert session_queue_arguments("alice", session_timeout_seconds=30) == {
        "x-queue-type": "classic",
        "x-message-ttl": 30_000,
        "x-expires": 60_000,
        "x-dead-letter-exchange": EVENTS_EXCHANGE,
        "x-dead-letter-routing-key": "user.alice",
    }
