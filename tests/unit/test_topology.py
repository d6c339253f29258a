"""Routing keys and queue arguments, defined once for both services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herald.contract.events import BroadcastTarget, GroupTarget, UserTarget
from herald.contract.topology import (
    EVENTS_EXCHANGE,
    QUEUE_VERSION_POLICIES,
    InboxArguments,
    event_routing_key,
    session_queue_arguments,
    user_routing_key,
)

pytestmark = pytest.mark.unit

TAB = "3f1c0a2e-8d0b-4c59-9a1d-2b7e6f1d9c11"  # Chainlit's session and thread ids are uuids


@pytest.mark.parametrize(("target", "key"), [
    (UserTarget(user="alice"), "user.alice"),
    (UserTarget(user="alice", session=TAB), f"session.alice.{TAB}"),
    (UserTarget(user="alice", thread=TAB), f"thread.alice.{TAB}"),
    (GroupTarget(group="ops"), "group.ops"),
    (BroadcastTarget(broadcast=True), "broadcast"),
    (BroadcastTarget(broadcast=True, persist=True), "broadcast.persist"),
])
def test_each_target_has_its_routing_key(target: UserTarget | GroupTarget | BroadcastTarget, key: str) -> None:
    assert event_routing_key(target) == key


def test_a_dotted_user_id_cannot_collide_with_another_users_session_key() -> None:
    # "user.a.<S>" (user "a.<S>") and "session.a.<S>" (user "a", session S) live under different prefixes.
    assert event_routing_key(UserTarget(user=f"a.{TAB}")) != event_routing_key(UserTarget(user="a", session=TAB))


def test_inbox_arguments_refuse_overflow_and_dead_letter() -> None:
    arguments = InboxArguments(ttl_seconds=60, max_length=5).as_queue_arguments()
    assert arguments["x-message-ttl"] == 60_000 and arguments["x-max-length"] == 5
    assert arguments["x-overflow"] == "reject-publish-dlx"
    assert arguments["x-single-active-consumer"] is True
    # Classic queues v2 come from a policy: as an argument it would break queues an older Herald declared.
    assert "x-queue-version" not in arguments


def test_a_session_queue_falls_back_into_its_owners_inbox() -> None:
    arguments = session_queue_arguments("alice", session_timeout_seconds=30)
    assert arguments["x-dead-letter-exchange"] == EVENTS_EXCHANGE
    assert arguments["x-dead-letter-routing-key"] == user_routing_key("alice")
    assert arguments["x-message-ttl"] == 30_000
    assert arguments["x-expires"] > arguments["x-message-ttl"]  # type: ignore[operator]



def test_the_architecture_doc_gives_operators_the_queue_version_policies_herald_applies() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text()
    for policy in QUEUE_VERSION_POLICIES:
        definition = json.dumps({"queue-version": policy.version}, separators=(",", ":"))
        command = (f"rabbitmqctl set_policy --apply-to queues --priority {policy.priority} {policy.name} "
                   f"'{policy.pattern}' '{definition}'")
        assert command in doc
