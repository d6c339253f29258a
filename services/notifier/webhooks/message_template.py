"""The shape of a message template, and the outcome of a delivery that should not be shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MessageTemplate:
    """Jinja sources for one kind of delivery. Each sees `payload`, `headers` (lowercased), `source` and `event`."""

    title: str
    body: str
    severity: str = "info"
    # Renders the sender's identity (e.g. a GitHub login), looked up in the source's target table.
    identity: str | None = None


@dataclass(frozen=True)
class Ignored:
    """An authentic delivery that is answered but not shown, e.g. GitHub's `ping`."""

    reason: str


# Picks the template for one delivery from its parsed payload and lowercased headers.
Selector = Callable[[Any, Mapping[str, str]], MessageTemplate | Ignored]
