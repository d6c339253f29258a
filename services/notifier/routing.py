"""The notifier's routing policy: a pure function of an event's target, tested without a broker.

`decide_route` says where to publish first and what to do when the broker returns the event for want of
a queue bound to its key (a `mandatory` publish). The AMQP adapter (broker_publisher.py) only carries it
out: it sends each `Send` as it is, declares an inbox where `NewInbox` says so, and answers `AskSession`
by asking the broker whether the session's queue exists. The chat's side is services/chat/routing.py.

The rules:
- a broadcast or a group event reaches whoever is bound now, possibly nobody: never returned;
- a user event goes to the user's inbox; the first one for a user nobody has seen declares it;
- a session or thread event goes to that session's queue (or the queues showing the thread); when none
  takes it, to the owner's inbox, where the chat applies its fallback;
- a session event whose session exists but does not take it (the queue's keys name another user) is
  dead-lettered with a reason, and shown to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import assert_never

from herald.contract.events import BroadcastTarget, GroupTarget, Target, UserTarget
from herald.contract.topology import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    REASON_HEADER,
    event_routing_key,
    session_queue_name,
    user_routing_key,
)

CROSS_USER_SESSION = "the target session belongs to another user"


@dataclass(frozen=True, slots=True)
class Send:
    """One publish. With `mandatory`, the broker returns the event when no queue is bound for the key."""

    routing_key: str
    mandatory: bool
    exchange: str = EVENTS_EXCHANGE
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class NewInbox:
    """Declare `user`'s inbox, then `send`: now a queue is bound for it, so a return is a failure."""

    user: str
    send: Send


@dataclass(frozen=True, slots=True)
class AskSession:
    """Whether the queue named `queue` exists decides: it does, `if_exists`; it does not, `otherwise`."""

    queue: str
    if_exists: Send
    otherwise: Route


@dataclass(frozen=True, slots=True)
class Route:
    """`send`, and what to do when the broker returns it (None: `send` is not mandatory)."""

    send: Send
    if_returned: Route | NewInbox | AskSession | None = None


def decide_route(target: Target) -> Route:
    match target:
        case BroadcastTarget() | GroupTarget():
            # Reaching nobody is a fine outcome here: no sessions, no inboxes yet, or no members.
            return Route(Send(event_routing_key(target), mandatory=False))
        case UserTarget(session=str() as session):
            return Route(Send(event_routing_key(target), mandatory=True),
                         AskSession(session_queue_name(session), if_exists=_CROSS_USER_DEAD_LETTER,
                                    otherwise=_to_inbox(target.user)))
        case UserTarget(thread=str()):
            # Nobody showed the thread lately: the owner's inbox applies the fallback.
            return Route(Send(event_routing_key(target), mandatory=True), _to_inbox(target.user))
        case UserTarget():
            return _to_inbox(target.user)
        case _:
            assert_never(target)


def _to_inbox(user: str) -> Route:
    # Returned, the event is the first for a user nobody has seen: make the inbox, where it waits for them.
    send = Send(user_routing_key(user), mandatory=True)
    return Route(send, NewInbox(user, send))


# The dead-letter exchange is a fanout: the key is not read.
_CROSS_USER_DEAD_LETTER = Send("", mandatory=False, exchange=DEAD_LETTER_EXCHANGE,
                               headers=MappingProxyType({REASON_HEADER: CROSS_USER_SESSION}))
