"""Which users have sessions on this chat instance, which of those sessions are connected, and what
each session has already shown.

Pure bookkeeping, no Chainlit and no broker, so the routing decisions built on it are unit-tested.
A Chainlit session is one browser tab; it survives socket reconnects (same id), so its record, and
the event ids it has shown, outlive a disconnect until Chainlit deletes the session.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

SEEN_PER_SESSION = 1024


@dataclass
class SessionRecord:
    id: str
    user: str
    thread_id: str | None
    connected: bool = True
    # Insertion-ordered, bounded: the newest ids a session has shown, to swallow redeliveries.
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def has_shown(self, event_id: str) -> bool:
        return event_id in self.seen

    def mark_shown(self, event_id: str) -> None:
        self.seen[event_id] = None
        if len(self.seen) > SEEN_PER_SESSION:
            self.seen.popitem(last=False)


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

    def disconnected(self, session_id: str) -> str | None:
        """Mark a session disconnected; return its user when no connected session of theirs remains."""
        record = self._sessions.get(session_id)
        if record is None or not record.connected:
            return None
        record.connected = False
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
