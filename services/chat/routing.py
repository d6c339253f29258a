"""Routing decisions on the chat side: pure functions of an event and where it came from.

Three places decide:
- an inbox (the user's durable queue): relay the event to the user's connected sessions, persist it
  into a thread, drop it, or dead-letter it;
- a session queue: show the event in that session, or not;
- a replica's queue: only live broadcasts belong there, shown once to every tab of the replica.
"""

from __future__ import annotations

from enum import Enum
from typing import assert_never

from herald.chat.session_registry import SessionRecord
from herald.contract.events import BroadcastTarget, Event, GroupTarget, UserTarget


class InboxDecision(Enum):
    RELAY = "relay"  # to every connected session of the inbox's owner
    PERSIST = "persist"  # into the target thread, through Chainlit's data layer
    DROP = "drop"  # its session or thread is gone and it asked not to fall back
    REJECT = "reject"  # not for this inbox's owner: dead-letter it, show it to nobody


class Departure(Enum):
    """What becomes of an event still in a tab's queue when the tab disconnects."""

    RETURN = "return"  # relayed from the user's inbox: back there, for the user's other or next tabs
    KEEP = "keep"  # for this tab (or thread) itself: it waits for the tab to come back
    DONE = "done"  # the tab has shown it already (its local copy came first): acknowledge it


class SessionDecision(Enum):
    SHOW = "show"
    ALREADY_SHOWN = "already_shown"  # a redelivery: acknowledge without showing again
    REJECT = "reject"


def decide_inbox(event: Event, inbox_user: str, has_data_layer: bool) -> InboxDecision:
    """An inbox holds its owner's user-targeted events, their groups' events and persistent broadcasts.

    A session or thread event reaches the inbox only as a fallback: its session queue expired or
    was drained, or no session was there to take it.
    """
    target = event.target
    match target:
        case GroupTarget() | BroadcastTarget():
            return InboxDecision.RELAY
        case UserTarget():
            if target.user != inbox_user:
                return InboxDecision.REJECT
            if target.thread is not None and has_data_layer:
                return InboxDecision.PERSIST
            if (target.session is not None or target.thread is not None) and target.fallback == "drop":
                return InboxDecision.DROP
            return InboxDecision.RELAY
        case _:
            assert_never(target)


def decide_session(event: Event, session: SessionRecord, relayed_for: str | None) -> SessionDecision:
    """Whether `session` shows `event`, which reached its queue relayed from `relayed_for`'s inbox or,
    when that is None, straight from the notifier by a session, thread or broadcast key."""
    if not _addressed_to(event, session, relayed_for):
        return SessionDecision.REJECT
    if session.has_shown(event.id):
        return SessionDecision.ALREADY_SHOWN
    return SessionDecision.SHOW


def _addressed_to(event: Event, session: SessionRecord, relayed_for: str | None) -> bool:
    target = event.target
    if relayed_for is not None:
        # The inbox it came from has checked the target; the relay key names the inbox's owner.
        return relayed_for == session.user
    match target:
        case GroupTarget() | BroadcastTarget():
            # Live broadcasts go to replicas (is_live_broadcast), persistent ones through inboxes.
            return False
        case UserTarget() if target.user != session.user:
            return False
        case UserTarget(session=str() as named):
            return named == session.id
        case UserTarget(thread=str() as named):
            return named == session.thread_id
        case UserTarget():
            return False  # a plain user event always comes through the inbox
        case _:
            assert_never(target)


def decide_departure(relayed_for: str | None, already_shown: bool) -> Departure:
    """An event this replica showed its local tabs straight from the inbox (inbox_relay.py) has its
    relayed copy still in their queues; handing that back would show it again in the user's next tab."""
    if already_shown:
        return Departure.DONE
    return Departure.RETURN if relayed_for is not None else Departure.KEEP


def is_live_broadcast(event: Event) -> bool:
    """For every tab connected right now, wherever it is: a replica shows it once to all its tabs (one
    step, one id, one encode) and nobody keeps it for a tab that is away."""
    target = event.target
    match target:
        case BroadcastTarget():
            return not target.persist
        case UserTarget() | GroupTarget():
            return False
        case _:
            assert_never(target)
