"""Prometheus Alertmanager webhook (payload version 4): one event per notification, listing its alerts.

The title follows Alertmanager's own default, e.g. `[FIRING:2] HighLatency`. The identity is the
receiver name, so one source can route each receiver to a user or a group. Every field is optional:
a notification without alerts or labels still says its status and receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.notifier.webhooks.builtin_templates.alert_severity import ALERT_SEVERITY
from herald.notifier.webhooks.message_template import Ignored, MessageTemplate

RECEIVER = "{{ payload.receiver }}"

NOTIFICATION = MessageTemplate(
    title="""{% set firing = (payload.alerts or []) | selectattr('status', 'equalto', 'firing') | list %}
{% set group = (payload.groupLabels or {}) | dictsort | map(attribute=1) | join(' ') %}
[{{ (payload.status or 'unknown') | upper }}{{ ':' ~ firing | length if payload.status == 'firing' else '' }}] \
{{ group or payload.commonLabels.alertname or 'alerts' }}""",
    body="""{% for a in (payload.alerts or [])[:20] %}
{% set extra = (a.labels or {}) | dictsort | rejectattr(0, 'equalto', 'alertname') | list %}
- **{{ (a.status or 'unknown') | upper }}** {{ a.annotations.summary or a.annotations.description
    or a.labels.alertname or 'alert' }}
{%- if extra %} ({% for k, v in extra %}{{ k }}={{ v }}{{ '' if loop.last else ', ' }}{% endfor %}){% endif %}
{%- if a.generatorURL is linkable %} · {{ a.generatorURL | link('source') }}{% endif %}

{% endfor %}
{% set hidden = [(payload.alerts or []) | length - 20, 0] | max + (payload.truncatedAlerts or 0) %}
{% if hidden %}
- … and {{ hidden }} more
{% endif %}
{% if not payload.alerts %}
{{ payload.receiver or 'Alertmanager' }}: {{ payload.status or 'notification' }} with no alerts listed
{% endif %}""",
    severity=ALERT_SEVERITY,
    identity=RECEIVER,
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    return NOTIFICATION


def event_name(payload: Any, headers: Mapping[str, str]) -> str:
    status = payload.get("status") if isinstance(payload, dict) else None
    return f"{status} notification" if isinstance(status, str) else "notification"
