"""Which users have sessions on this chat instance, which of those sessions are connected, and what
each session has already shown.

Pure bookkeeping, no Chainlit and no broker, so the routing decisions built on it are unit-tested.
A Chainlit session is one browser tab; it survives socket reconnects (same id), so its record, and
the event ids it has shown, outlive a disconnect until Chainlit deletes the session.

A message emitted to a socket is not acknowledged by the browser: a tab whose connection is dying
still looks connected until the server notices (at once for a closed socket, up to socket.io's ping
timeout for a silent one), and what it is sent meanwhile may never arrive. So a session also keeps
the events it was shown shortly before it disconnected, to show them again when it comes back.
Chainlit's frontend updates a message whose id it already has, so the repeat never shows twice.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from shared.events import Event

SEEN_PER_SESSION = 1024
# Longer than socket.io's default ping interval plus timeout (25 s + 20 s): the longest a dead
# connection can look alive.
REPLAY_SECONDS = 60.0
REPLAY_MAX_EVENTS = 32


# A replica keeps one record per tab, most of them idle: slots, and the replay deque made on the first
# event (an empty deque takes 760 bytes; memory per idle tab is figure #5 of docs/benchmarks.md).
@dataclass(slots=True)
class SessionRecord:
    id: str
    user: str
    thread_id: str | None
    connected: bool = True
    disconnected_at: float | None = None
    # Insertion-ordered, bounded: the newest ids a session has shown, to swallow redeliveries.
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    # The newest events shown, with when: those shown just before a disconnect are shown again.
    recent: deque[tuple[float, Event]] | None = None

    def has_shown(self, event_id: str) -> bool:
        return event_id in self.seen

    def mark_shown(self, event: Event, at: float) -> None:
        self.seen[event.id] = None
        if len(self.seen) > SEEN_PER_SESSION:
            self.seen.popitem(last=False)
        if self.recent is None:
            self.recent = deque(maxlen=REPLAY_MAX_EVENTS)
        self.recent.append((at, event))

    def to_replay(self) -> list[Event]:
        """The events shown in the last moments before the session's latest disconnect, oldest first."""
        if self.disconnected_at is None or self.recent is None:
            return []
        since = self.disconnected_at - REPLAY_SECONDS
        return [event for at, event in self.recent if at >= since]


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
