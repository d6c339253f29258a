"""The AMQP topology as data: names, routing keys and queue arguments, pure and mutation-tested.

shared/declarations.py declares it on a channel (the only part that talks to the broker).

- The notifier publishes every event to EVENTS_EXCHANGE (topic):
  - `user.<U>` reaches U's durable inbox; so do `group.<G>` for U's groups and `broadcast.persist`.
  - `session.<U>.<S>` and `thread.<U>.<T>` reach the queue of session S, or of the sessions
    showing thread T: a session queue carries its owner's id in its keys, so no other user's
    event can route into it.
  - `broadcast` (a live broadcast) reaches one queue per chat replica, which shows it to all the
    replica's connected tabs at once.
- A chat instance holding a connected session of U consumes U's inbox (one active consumer per
  inbox across replicas) and relays each event to SESSIONS_EXCHANGE with `user.<U>`, where every
  connected session queue of U is bound. Each session queue is consumed by the instance holding
  that session, which renders it.
- Rejected and expired inbox events go to DEAD_LETTER_EXCHANGE and wait in DEAD_LETTER_QUEUE;
  expired or orphaned session-queue events fall back into the owner's inbox.
- A chat user's click on an ack button is published to ACKS_EXCHANGE (topic) with `ack.<U>`
  (shared/acks.py). Each chat replica binds an exclusive queue with `ack.#`, to show it in U's tabs;
  outside systems bind their own.
- Settings every process must share are recorded in one stream each (`agreed_setting_queue_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from pamqp.common import FieldTable

from herald.contract.events import BroadcastTarget, GroupTarget, Target, UserTarget
from herald.contract.settings import CommonSettings

EVENTS_EXCHANGE = "herald.events"
SESSIONS_EXCHANGE = "herald.sessions"
DEAD_LETTER_EXCHANGE = "herald.dead"
DEAD_LETTER_QUEUE = "herald.dead-letters"
ACKS_EXCHANGE = "herald.acks"
EVERY_ACK_KEY = "ack.#"
# Leases of tabs whose replica died (services/chat/tab_leases.py); every chat replica consumes it.
ORPHANED_TABS_QUEUE = "herald.orphaned-tabs"

BROADCAST_KEY = "broadcast"
PERSISTENT_BROADCAST_KEY = "broadcast.persist"
# Set on dead-lettered events Herald rejects on purpose, to say why.
REASON_HEADER = "x-herald-reason"
# Set on the copy a chat instance relays from a user's inbox into that user's session queues.
RELAYED_FOR_HEADER = "x-herald-relayed-for"


def user_routing_key(user: str) -> str:
    return f"user.{user}"


def ack_routing_key(user: str) -> str:
    return f"ack.{user}"


def group_routing_key(group: str) -> str:
    return f"group.{group}"


def session_routing_key(user: str, session: str) -> str:
    return f"session.{user}.{session}"


def thread_routing_key(user: str, thread: str) -> str:
    return f"thread.{user}.{thread}"


def event_routing_key(target: Target) -> str:
    """Where the notifier publishes an event for `target`."""
    match target:
        case GroupTarget():
            return group_routing_key(target.group)
        case BroadcastTarget():
            return PERSISTENT_BROADCAST_KEY if target.persist else BROADCAST_KEY
        case UserTarget(session=str() as session):
            return session_routing_key(target.user, session)
        case UserTarget(thread=str() as thread):
            return thread_routing_key(target.user, thread)
        case UserTarget():
            return user_routing_key(target.user)
        case _:
            assert_never(target)


@dataclass(frozen=True)
class QueueVersionPolicy:
    """A broker policy that sets the classic queue version of the queues whose names match `pattern`."""

    name: str
    pattern: str
    version: int
    priority: int  # of two policies matching a queue, the higher priority applies


# Classic queue versions (RabbitMQ 3.10+) come from broker policies, not queue arguments: RabbitMQ
# refuses a redeclare whose arguments differ, so an argument would break every queue an older Herald
# declared (and a tab's queue a replica declared before an upgrade), while a policy also moves those.
# scripts/rabbitmq_node.py applies these; docs/architecture.md tells operators of other brokers.
QUEUE_VERSION_POLICIES = (
    # Inboxes (and the dead letters): v2. With events spread over thousands of inboxes, most go to a
    # queue that holds none, and there v2 costs the broker half of v1's CPU (docs/benchmarks.md, #6).
    QueueVersionPolicy("herald-queue-version", r"^herald\.", version=2, priority=0),
    # A tab's queue takes each event and gives it up at once. For a queue that empties after every
    # message, v2 creates and deletes an index segment file per message, v1 appends to its journal:
    # ~0.6 against ~0.9-1.0 ms of broker CPU per message here (docs/benchmarks.md, #3).
    QueueVersionPolicy("herald-session-queue-version", r"^herald\.session\.", version=1, priority=1),
)


def inbox_queue_name(user: str) -> str:
    return f"herald.inbox.{user}"


def session_queue_name(session: str) -> str:
    return f"herald.session.{session}"


def replica_queue_name(replica: str) -> str:
    return f"herald.replica.{replica}"


def lease_queue_name(replica: str) -> str:
    return f"herald.leases.{replica}"


# A replica's queue of leases outlives it only as long as it takes to hand them on.
LEASE_QUEUE_EXPIRES_MS = 10 * 60 * 1000


def lease_queue_arguments() -> FieldTable:
    """A replica's leases: each is delivered to the replica at once and held unacknowledged while its tab
    stays. Put back when the replica's connection goes, a lease expires at once (TTL 0) and is
    dead-lettered to ORPHANED_TABS_QUEUE, for another replica to clean up after the tab."""
    return {
        "x-queue-type": "classic",
        "x-message-ttl": 0,
        "x-expires": LEASE_QUEUE_EXPIRES_MS,
        "x-dead-letter-exchange": "",  # the default exchange: straight into the queue named below
        "x-dead-letter-routing-key": ORPHANED_TABS_QUEUE,
    }


def agreed_setting_queue_name(deployment: str, setting: str) -> str:
    """Where a deployment's processes record a setting they must share (shared/agreed_settings.py)."""
    return f"herald.agreed.{deployment}.{setting}"


def agreed_settings_lock_name(deployment: str) -> str:
    """The exclusive queue a process holds while it reads or writes its deployment's records."""
    return f"herald.agreed.{deployment}.lock"


AGREED_SETTING_ARGUMENTS: FieldTable = {"x-queue-type": "classic"}


@dataclass(frozen=True)
class InboxArguments:
    ttl_seconds: int
    max_length: int

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> InboxArguments:
        return cls(ttl_seconds=settings.inbox_ttl_seconds, max_length=settings.inbox_max_length)

    def as_queue_arguments(self) -> FieldTable:
        return {
            "x-queue-type": "classic",
            "x-message-ttl": self.ttl_seconds * 1000,
            "x-max-length": self.max_length,
            # A full inbox refuses new events: the publisher gets a nack (and answers 503) instead of
            # the oldest unread event being dropped silently. The refused copy is dead-lettered.
            "x-overflow": "reject-publish-dlx",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            # One consumer at a time keeps a user's events in order, whichever replica holds them.
            "x-single-active-consumer": True,
        }


def session_queue_arguments(user: str, session_timeout_seconds: int) -> FieldTable:
    """A session's queue: what it holds while the tab is away falls back to the owner's inbox.

    An event waits at most the session timeout for the tab to come back; then it dead-letters into
    the inbox, where the chat applies the event's fallback. The queue itself goes away when unused
    for twice that, in case the instance holding the session died without cleaning up.
    """
    timeout_ms = session_timeout_seconds * 1000
    return {
        "x-queue-type": "classic",
        "x-message-ttl": timeout_ms,
        "x-expires": 2 * timeout_ms,
        "x-dead-letter-exchange": EVENTS_EXCHANGE,
        "x-dead-letter-routing-key": user_routing_key(user),
    }


def replica_acks_queue_name(replica: str) -> str:
    return f"herald.acks.replica.{replica}"
