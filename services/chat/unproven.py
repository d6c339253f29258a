"""What one tab's socket was sent but has not been proven to have read (socket_liveness.py gives the
proof), in the order it was sent.

Each entry can hold the broker delivery that carried the event to the tab (its copy in the tab's
queue): that delivery is acknowledged only once the tab is proven to have read the event. When the tab
drops first, the held deliveries go back to the tab's queue, which shows them again when the tab
returns, or hands them to the user's inbox when it does not (replica.py). Nothing then depends on this
replica's memory: a crash of the replica puts them back too.

Pure bookkeeping, unit-tested with fakes. A replica keeps one of these per tab that has been sent
something and not yet answered; an idle tab has none.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from herald.contract.events import Event

Held = TypeVar("Held")

# Direct shows (inbox_relay.py) stop once this much is unproven in a tab, and its events then wait in
# its queue on the broker; copies taken from the queue are bounded by the consumer's prefetch instead.
MAX_UNPROVEN_BYTES = 256 * 1024
MAX_UNPROVEN_EVENTS = 256


@dataclass(slots=True)
class Unproven(Generic[Held]):
    event: Event
    mark: int  # proven once more than `mark` of the socket's pings are answered (socket_liveness.py)
    size: int
    held: Held | None  # the delivery to acknowledge once proven


class UnprovenWindow(Generic[Held]):
    __slots__ = ("_answered", "_entries", "bytes")

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Unproven[Held]] = OrderedDict()
        self._answered = 0
        self.bytes = 0

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def full(self) -> bool:
        return self.bytes >= MAX_UNPROVEN_BYTES or len(self._entries) >= MAX_UNPROVEN_EVENTS

    def add(self, event: Event, mark: int, size: int, held: Held | None) -> Unproven[Held] | None:
        """Record an emit; return it at once as proven when its proof came first. An event emitted again
        moves to the end with its new mark; the delivery it held stays held."""
        if mark < self._answered:
            return Unproven(event, mark, size, held)
        entry = self._entries.pop(event.id, None)
        if entry is not None:
            self.bytes -= entry.size
            held = held if entry.held is None else entry.held
        self._entries[event.id] = Unproven(event, mark, size, held)
        self.bytes += size
        return None

    def hold(self, event_id: str, held: Held) -> bool:
        """Let an unproven event's copy, just taken from the tab's queue, wait for the proof; False when
        the event is not unproven here or already holds a delivery."""
        entry = self._entries.get(event_id)
        if entry is None or entry.held is not None:
            return False
        entry.held = held
        return True

    def replace_held(self, event_id: str, held: Held) -> Held | None:
        """Hold `held` instead of the delivery the entry holds; return that one."""
        entry = self._entries[event_id]
        before, entry.held = entry.held, held
        return before

    def held_by(self, event_id: str) -> Held | None:
        entry = self._entries.get(event_id)
        return entry.held if entry is not None else None

    def settle(self, answered: int) -> list[Unproven[Held]]:
        """`answered` pings of the socket are answered now: the entries that proves, oldest first."""
        self._answered = max(self._answered, answered)
        proven = []
        # Marks grow in emit order (a socket's ping count only grows), so the proven ones lead.
        while self._entries:
            entry = next(iter(self._entries.values()))
            if entry.mark >= self._answered:
                break
            del self._entries[entry.event.id]
            self.bytes -= entry.size
            proven.append(entry)
        return proven

    def take_all(self) -> list[Unproven[Held]]:
        """The tab dropped: everything still unproven, oldest first."""
        entries = list(self._entries.values())
        self._entries.clear()
        self.bytes = 0
        return entries
