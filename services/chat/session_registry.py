"""Which users have sessions on this chat instance, which of those sessions are connected, and what
each session has shown.

Pure bookkeeping, no Chainlit and no broker, so the routing decisions built on it are unit-tested.
A Chainlit session is one browser tab; it survives socket reconnects (same id), so its record, and
the event ids it has shown, outlive a disconnect until Chainlit deletes the session.

A message emitted to a socket is not acknowledged by the browser. So "shown" here means proven: the
tab answered a ping queued after the emit (socket_liveness.py). Until then the event is unproven
(unproven.py), and the broker delivery that brought it waits unacknowledged; when the tab drops, those
deliveries go back to its queue.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from herald.chat.unproven import UnprovenWindow
from herald.contract.events import Event

SEEN_PER_SESSION = 1024
# Live broadcasts a dropped tab had not been proven to read, shown again when it returns (they come
# through no queue of the tab's own).
BROADCASTS_TO_REPLAY = 32
# `awaiting_copy` of a tab that has just (re)connected: its queue may hold a backlog the tab must see
# before anything the inbox shows it directly.
CATCHING_UP = ""


# A replica keeps one record per tab, most of them idle: slots, and the window made on the first emit
# (memory per idle tab is figure #5 of docs/benchmarks.md).
@dataclass(slots=True)
class SessionRecord:
    id: str
    user: str
    thread_id: str | None
    connected: bool = True
    disconnected_at: float | None = None
    # Insertion-ordered, bounded: the newest ids the tab is proven to have shown, to swallow redeliveries.
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    # Emitted to the current socket, not yet proven read.
    window: UnprovenWindow[Any] | None = None
    # Set while events the inbox relayed for this tab come through its queue rather than straight from
    # the inbox: the id of the last of them. Until its copy is taken from the queue, showing the tab an
    # inbox event directly would overtake the ones still in the queue (inbox_relay.py).
    awaiting_copy: str | None = CATCHING_UP
    broadcasts_to_replay: list[Event] | None = None

    def has_shown(self, event_id: str) -> bool:
        """Emitted to the tab's socket (proven or not)."""
        return event_id in self.seen or (self.window is not None and event_id in self.window)

    def has_proven(self, event_id: str) -> bool:
        return event_id in self.seen

    def mark_proven(self, event_id: str) -> None:
        self.seen[event_id] = None
        if len(self.seen) > SEEN_PER_SESSION:
            self.seen.popitem(last=False)

    def unproven(self) -> UnprovenWindow[Any]:
        if self.window is None:
            self.window = UnprovenWindow()
        return self.window

    def copy_taken(self, event_id: str) -> None:
        """The tab's queue gave it the copy of `event_id`: copies relayed before it are behind it."""
        if self.awaiting_copy == event_id:
            self.awaiting_copy = None

    def copy_expected(self, event_id: str) -> None:
        """The inbox relayed `event_id` without showing it here: its copy comes through the tab's queue."""
        self.awaiting_copy = event_id

    def keep_for_replay(self, broadcasts: list[Event]) -> None:
        if broadcasts:
            kept = (self.broadcasts_to_replay or []) + broadcasts
            self.broadcasts_to_replay = kept[-BROADCASTS_TO_REPLAY:]

    def take_replay(self) -> list[Event]:
        replay, self.broadcasts_to_replay = self.broadcasts_to_replay or [], None
        return replay


class SessionRegistry:
    def __init__(self) -> None:
        self._sessions: dict[str, SessionRecord] = {}
        self._by_user: dict[str, dict[str, SessionRecord]] = {}

    def connected(self, session_id: str, user: str, thread_id: str | None) -> SessionRecord:
        """Record a (re)connected session; a reconnect keeps the record, and what it has shown."""
        record = self._sessions.get(session_id)
        if record is None or record.user != user:
            self.forget(session_id)
            record = self._sessions[session_id] = SessionRecord(session_id, user, thread_id)
            self._by_user.setdefault(user, {})[session_id] = record
        record.connected = True
        record.thread_id = thread_id
        record.awaiting_copy = CATCHING_UP
        record.window = None  # a new socket: proofs of the old one's emits will never come
        return record

    def disconnected(self, session_id: str, at: float) -> str | None:
        """Mark a session disconnected; return its user when no connected session of theirs remains."""
        record = self._sessions.get(session_id)
        if record is None or not record.connected:
            return None
        record.connected = False
        record.disconnected_at = at
        return None if self.connected_sessions(record.user) else record.user

    def forget(self, session_id: str) -> None:
        """Chainlit deleted the session (its timeout passed): drop it and what it had shown."""
        record = self._sessions.pop(session_id, None)
        if record is not None:
            of_user = self._by_user[record.user]
            del of_user[session_id]
            if not of_user:
                del self._by_user[record.user]

    def get(self, session_id: str) -> SessionRecord | None:
        return self._sessions.get(session_id)

    def sessions(self) -> list[SessionRecord]:
        return list(self._sessions.values())

    def connected_sessions(self, user: str) -> list[SessionRecord]:
        return [record for record in self._by_user.get(user, {}).values() if record.connected]
