"""Which of this instance's sessions an event is for. Pure decisions over the session registry."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.chat.session_registry import SessionRecord, SessionRegistry
from shared.events import Event


@dataclass(frozen=True)
class Recipients:
    show: list[SessionRecord] = field(default_factory=list)  # connected, and not shown the event yet
    already_shown: int = 0  # connected sessions that showed it before (a redelivery)
    misaddressed: bool = False


def recipients(event: Event, inbox_user: str, registry: SessionRegistry) -> Recipients:
    """The connected sessions that should show `event`, which arrived through `inbox_user`'s inbox.

    An event addressed to anyone but the inbox's owner is shown to nobody: an inbox carries only its
    owner's events, so anything else is a routing fault, and showing it could leak it.
    """
    if event.target.user != inbox_user:
        return Recipients(misaddressed=True)
    connected = registry.connected_sessions(inbox_user)
    fresh = [record for record in connected if not record.has_shown(event.id)]
    return Recipients(show=fresh, already_shown=len(connected) - len(fresh))
