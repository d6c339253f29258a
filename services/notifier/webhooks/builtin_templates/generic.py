"""Any JSON: the source's name as title, a short fenced excerpt of the payload as body.

`UNRENDERABLE` is what every source falls back to when its own template cannot render a delivery:
the source, the event (as the built-in template names it) and the same excerpt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.notifier.webhooks.message_template import Ignored, MessageTemplate

_EXCERPT = "{{ payload | json_excerpt | code_block('json') }}"

GENERIC = MessageTemplate(title="{{ source }}", body=_EXCERPT)

UNRENDERABLE = MessageTemplate(
    title="{{ source }}{{ ': ' ~ event if event else '' }}",
    body="{{ event | code }} from {{ source }}, shown as received:\n\n" + _EXCERPT,
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    return GENERIC


def event_name(payload: Any, headers: Mapping[str, str]) -> str:
    return "delivery"
