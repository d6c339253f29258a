"""The notifier's routing policy, without a broker: where an event is published, and where it goes next when
the broker returns it. `carry_out` below plays the broker and the adapter (services/notifier/
broker_publisher.py) by the rules the adapter follows, so each test reads as what the broker sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

import pytest

from herald.contract.events import EventRequest, Target
from herald.contract.topology import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    REASON_HEADER,
    inbox_queue_name,
    session_queue_name,
    user_routing_key,
)
from herald.notifier.routing import CROSS_USER_SESSION, AskSession, NewInbox, Route, Send, decide_route

pytestmark = pytest.mark.unit

SESSION = "5e551011-0000-4000-8000-000000000001"
THREAD = "7e4ead00-0000-4000-8000-000000000001"
DEAD_LETTER = f"{DEAD_LETTER_EXCHANGE} '' {REASON_HEADER}={CROSS_USER_SESSION}"
RETURNED = "returned, and nothing follows"


def target(fields: dict[str, object]) -> Target:
    return EventRequest.model_validate({"target": fields, "body": "x"}).to_event("test").target


@dataclass
class Broker:
    """Routing keys some queue is bound to on the events exchange, and the queues that exist."""

    bound: set[str] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)


def carry_out(route: Route, broker: Broker) -> list[str]:
    """What the broker sees: each publish (`exchange key`), each inbox declared, and a return nobody follows."""
    seen: list[str] = []
    bound = set(broker.bound)  # an inbox declared here is bound from then on

    def send(step: Send) -> bool:
        """Publish; False when the broker returns it (mandatory, and no queue bound for the key)."""
        headers = "".join(f" {name}={value}" for name, value in (step.headers or {}).items())
        key = step.routing_key or "''"
        seen.append(f"{step.exchange} {key}{headers}")
        returned = step.mandatory and step.exchange == EVENTS_EXCHANGE and step.routing_key not in bound
        return not returned

    def take(step: Route | NewInbox | AskSession) -> None:
        match step:
            case Route():
                if not send(step.send):
                    if step.if_returned is None:
                        seen.append(RETURNED)
                    else:
                        take(step.if_returned)
            case NewInbox():
                seen.append(f"declare {inbox_queue_name(step.user)}")
                bound.add(user_routing_key(step.user))
                if not send(step.send):
                    seen.append(RETURNED)
            case AskSession():
                take(Route(step.if_exists) if step.queue in broker.queues else step.otherwise)

    take(route)
    return seen


ALICE_INBOX = Broker(bound={"user.alice"}, queues={inbox_queue_name("alice")})
NOBODY = Broker()
ALICE_TAB = Broker(bound={"user.alice", f"session.alice.{SESSION}"},
                   queues={inbox_queue_name("alice"), session_queue_name(SESSION)})
BOBS_TAB = Broker(bound={"user.alice", f"session.bob.{SESSION}"},  # the session's keys name bob
                  queues={inbox_queue_name("alice"), session_queue_name(SESSION)})
ALICE_SHOWS_THREAD = Broker(bound={"user.alice", f"thread.alice.{THREAD}"}, queues={inbox_queue_name("alice")})


@pytest.mark.parametrize(("fields", "broker", "seen"), [
    # A user event: the inbox, declared by the first event for a user nobody has seen.
    ({"user": "alice"}, ALICE_INBOX, ["herald.events user.alice"]),
    ({"user": "alice"}, NOBODY, ["herald.events user.alice", "declare herald.inbox.alice", "herald.events user.alice"]),
    # A session event: that tab's queue; else the owner's inbox (which applies the fallback, "drop" too).
    ({"user": "alice", "session": SESSION}, ALICE_TAB, [f"herald.events session.alice.{SESSION}"]),
    ({"user": "alice", "session": SESSION}, ALICE_INBOX,
     [f"herald.events session.alice.{SESSION}", "herald.events user.alice"]),
    ({"user": "alice", "session": SESSION, "fallback": "drop"}, ALICE_INBOX,
     [f"herald.events session.alice.{SESSION}", "herald.events user.alice"]),
    ({"user": "alice", "session": SESSION}, NOBODY,
     [f"herald.events session.alice.{SESSION}", "herald.events user.alice", "declare herald.inbox.alice",
      "herald.events user.alice"]),
    # The session exists but is another user's: shown to nobody, dead-lettered with the reason.
    ({"user": "alice", "session": SESSION}, BOBS_TAB, [f"herald.events session.alice.{SESSION}", DEAD_LETTER]),
    # A thread event: the sessions showing the thread; else the owner's inbox, never a dead letter.
    ({"user": "alice", "thread": THREAD}, ALICE_SHOWS_THREAD, [f"herald.events thread.alice.{THREAD}"]),
    ({"user": "alice", "thread": THREAD}, BOBS_TAB,
     [f"herald.events thread.alice.{THREAD}", "herald.events user.alice"]),
    ({"user": "alice", "thread": THREAD}, NOBODY,
     [f"herald.events thread.alice.{THREAD}", "herald.events user.alice", "declare herald.inbox.alice",
      "herald.events user.alice"]),
    # Broadcasts and groups reach whoever is bound now, possibly nobody: never returned, never an inbox.
    ({"group": "ops"}, NOBODY, ["herald.events group.ops"]),
    ({"broadcast": True}, NOBODY, ["herald.events broadcast"]),
    ({"broadcast": True, "persist": True}, NOBODY, ["herald.events broadcast.persist"]),
])
def test_what_the_broker_sees(fields: dict[str, object], broker: Broker, seen: list[str]) -> None:
    assert carry_out(decide_route(target(fields)), broker) == seen


def test_a_cross_user_session_event_is_dead_lettered_unroutable_with_its_reason() -> None:
    route = decide_route(target({"user": "alice", "session": SESSION}))
    assert isinstance(route.if_returned, AskSession)
    assert route.if_returned.queue == session_queue_name(SESSION)
    assert route.if_returned.if_exists == Send("", mandatory=False, exchange=DEAD_LETTER_EXCHANGE,
                                              headers={REASON_HEADER: "the target session belongs to another user"})


ALL_KINDS = [{"user": "alice"}, {"user": "alice", "session": SESSION}, {"user": "alice", "thread": THREAD},
             {"group": "ops"}, {"broadcast": True},
             {"broadcast": True, "persist": True}]


def steps(step: Route | NewInbox | AskSession | None) -> list[Route | NewInbox | AskSession]:
    match step:
        case None:
            return []
        case Route():
            return [step, *steps(step.if_returned)]
        case NewInbox():
            return [step]
        case AskSession():
            return [step, Route(step.if_exists), *steps(step.otherwise)]


def test_every_kind_of_target_is_routed_here() -> None:
    # A new kind of target fails here until its routes are in ALL_KINDS (and mypy names decide_route).
    union = get_args(get_args(Target)[0])
    assert {type(target(fields)) for fields in ALL_KINDS} == {get_args(kind)[0] for kind in union}


@pytest.mark.parametrize("fields", ALL_KINDS)
def test_a_send_has_a_fallback_exactly_when_the_broker_may_return_it(fields: dict[str, object]) -> None:
    for step in steps(decide_route(target(fields))):
        if isinstance(step, Route):
            assert step.send.mandatory == (step.if_returned is not None), step
        if isinstance(step, NewInbox):  # just declared: a return now is a failure, for the client to retry
            assert step.send == Send(user_routing_key(step.user), mandatory=True)


@pytest.mark.parametrize("fields", [kind for kind in ALL_KINDS if "user" in kind])
def test_a_user_event_falls_back_only_to_its_own_users_inbox(fields: dict[str, object]) -> None:
    for step in steps(decide_route(target({**fields, "user": "bob"}))):
        if isinstance(step, NewInbox):
            assert step.user == "bob"
        if isinstance(step, Route) and step.send.routing_key.startswith("user."):
            assert step.send.routing_key == "user.bob"


@pytest.mark.parametrize("fields", [kind for kind in ALL_KINDS if "session" not in kind])
def test_only_a_session_event_can_be_dead_lettered(fields: dict[str, object]) -> None:
    # Whatever queues exist: a thread's sessions, or a queue named like the event's session, decide nothing.
    for step in steps(decide_route(target(fields))):
        assert not isinstance(step, AskSession), step
        if isinstance(step, Route):
            assert step.send.exchange == EVENTS_EXCHANGE
