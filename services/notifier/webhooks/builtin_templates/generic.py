"""Any JSON: the source's name as title, a short fenced excerpt of the payload as body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifier.webhooks.message_template import Ignored, MessageTemplate

GENERIC = MessageTemplate(
    title="{{ source }}",
    body="{{ payload | json_excerpt | code_block('json') }}",
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    return GENERIC
