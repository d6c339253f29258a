"""What a fault test measures, the same way in each: what was sent and accepted, and what the user's
tabs showed of it.

A tab is modelled as a page (Chainlit's frontend): a message shown again under the message id it
already has is updated in place, so a page shows each message id once, in the order it first came.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figures:
    name: str
    sent: int
    accepted: int
    shown: int  # accepted events shown in at least one of the user's tabs
    lost: int  # accepted, shown nowhere
    shown_twice: int  # accepted events a user saw as two messages (two pages, or two ids in one page)
    out_of_order: int  # events a page showed after one published later
    recover_seconds: float  # from the fault's end until the last event was shown

    def line(self) -> str:
        return (f"[faults] {self.name}: sent {self.sent}, accepted {self.accepted}, shown {self.shown}, "
                f"lost {self.lost}, shown twice {self.shown_twice}, out of order {self.out_of_order}, "
                f"seconds to recover {self.recover_seconds:.2f}")


def page(shown: list[tuple[str, str]]) -> list[str]:
    """The event ids a page shows, in order, from the (message id, event id) pairs it received."""
    seen: set[str] = set()
    order = []
    for message_id, event_id in shown:
        if message_id not in seen:
            seen.add(message_id)
            order.append(event_id)
    return order


def out_of_order(shown: list[str], accepted: list[str]) -> int:
    """How many events a page shows after an event that was published after them."""
    position = {event_id: n for n, event_id in enumerate(accepted)}
    latest, late = -1, 0
    for event_id in shown:
        if event_id not in position:
            continue
        if position[event_id] < latest:
            late += 1
        latest = max(latest, position[event_id])
    return late


def figures(name: str, sent: int, accepted: list[str], pages: list[list[str]], recover_seconds: float) -> Figures:
    wanted = set(accepted)
    shown = set().union(*(set(p) for p in pages)) & wanted
    twice = sum(1 for event_id in wanted if sum(p.count(event_id) for p in pages) > 1)
    return Figures(name, sent, len(accepted), len(shown), len(wanted - shown), twice,
                   sum(out_of_order(p, accepted) for p in pages), recover_seconds)
