"""Turning a sender identity into a chat target through the source's targets table."""

from __future__ import annotations

from typing import Any

from herald.notifier.webhooks.errors import RenderError
from herald.notifier.webhooks.sources import SourceConfig


def resolve_target(source: SourceConfig, identity: str | None) -> dict[str, Any]:
    """The mapped target (matched exactly), else the default target, else a `RenderError`.

    Returned as a plain dict: the event contract, not this module, decides which kinds exist.
    """
    if identity is not None and identity in source.targets:
        return dict(source.targets[identity])
    if source.default_target is not None:
        return dict(source.default_target)
    where = f"source '{source.name}' has no default_target"
    if identity is None:
        raise RenderError(f"no sender identity in the payload, and {where}")
    raise RenderError(f"sender '{identity[:100]}' is not in the targets, and {where}")
