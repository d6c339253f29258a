"""The events with ack buttons this replica showed, and who acknowledged them: bounded, in memory.

When an acknowledgement comes (acknowledgements.py), each tab of that user that shows the event is
shown it again, acknowledged, under the same message id; that needs the event, which the
acknowledgement on the bus does not carry (outside systems read it, and it would carry 48 KiB of body
and data). An event shown again later (a replay after a reconnect) keeps its acknowledged state.
The oldest are forgotten beyond MAX_EVENTS: their tabs then only lose their ack buttons.
"""

from __future__ import annotations

from collections import OrderedDict

from herald.chat.notification_view import Acknowledged
from herald.contract.events import AckAction, Event

MAX_EVENTS = 1024

_events: OrderedDict[str, tuple[Event, dict[str, Acknowledged]]] = OrderedDict()


def remember(event: Event) -> None:
    if not any(isinstance(action, AckAction) for action in event.actions or ()):
        return
    if event.id in _events:
        _events.move_to_end(event.id)
        return
    _events[event.id] = (event, {})
    while len(_events) > MAX_EVENTS:
        _events.popitem(last=False)


def recall(event_id: str) -> Event | None:
    kept = _events.get(event_id)
    return kept[0] if kept else None


def acknowledge(event_id: str, acknowledged: Acknowledged) -> None:
    if (kept := _events.get(event_id)) is not None:
        kept[1].setdefault(acknowledged.by, acknowledged)  # the first click counts


def acknowledged_by(event_id: str, user: str) -> Acknowledged | None:
    kept = _events.get(event_id)
    return kept[1].get(user) if kept else None
