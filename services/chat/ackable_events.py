"""The events with ack buttons this replica showed, and who acknowledged them: bounded, in memory.

When an acknowledgement comes (acknowledgements.py), each tab of that user that shows the event is
shown it again, acknowledged, under the same message id; that needs the event, which the
acknowledgement on the bus does not carry (outside systems read it, and it would carry 48 KiB of body
and data). An event shown again later (a replay after a reconnect) keeps its acknowledged state.
The oldest are forgotten beyond MAX_EVENTS: their tabs then keep their ack buttons (a click on one is
still published). Steps a tab got back from history (chainlit_tabs.restore_notifications) are kept the same way,
per tab: what is shown there is the step, not the event.
One `AckableEvents` per running replica (replica.py makes it): it lives and goes with the replica.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from herald.chat.notification_view import Acknowledged
from herald.contract.events import Event
from herald.contract.rich_fields import AckAction

MAX_EVENTS = 1024
MAX_RESUMED_STEPS = 4096


class AckableEvents:
    def __init__(self, max_events: int = MAX_EVENTS, max_resumed_steps: int = MAX_RESUMED_STEPS) -> None:
        self._max_events = max_events
        self._max_resumed_steps = max_resumed_steps
        self._events: OrderedDict[str, tuple[Event, dict[str, Acknowledged]]] = OrderedDict()
        # (session id, event id) -> the step that tab got back from history
        self._resumed: OrderedDict[tuple[str, str], Mapping[str, Any]] = OrderedDict()

    def remember(self, event: Event) -> None:
        """Keep an event that has ack buttons (others need no keeping)."""
        if not any(isinstance(action, AckAction) for action in event.actions or ()):
            return
        if event.id in self._events:
            self._events.move_to_end(event.id)
            return
        self._events[event.id] = (event, {})
        while len(self._events) > self._max_events:
            self._events.popitem(last=False)

    def recall(self, event_id: str) -> Event | None:
        kept = self._events.get(event_id)
        return kept[0] if kept else None

    def acknowledge(self, event_id: str, acknowledged: Acknowledged) -> None:
        if (kept := self._events.get(event_id)) is not None:
            kept[1].setdefault(acknowledged.by, acknowledged)  # the first click counts

    def acknowledged_by(self, event_id: str, user: str) -> Acknowledged | None:
        kept = self._events.get(event_id)
        return kept[1].get(user) if kept else None

    def remember_resumed(self, session_id: str, event_id: str, step: Mapping[str, Any]) -> None:
        self._resumed[(session_id, event_id)] = step
        self._resumed.move_to_end((session_id, event_id))
        while len(self._resumed) > self._max_resumed_steps:
            self._resumed.popitem(last=False)

    def resumed_step(self, session_id: str, event_id: str) -> Mapping[str, Any] | None:
        return self._resumed.get((session_id, event_id))
