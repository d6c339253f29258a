"""Prometheus Alertmanager webhook (payload version 4): one event per notification, listing its alerts.

The title follows Alertmanager's own default, e.g. `[FIRING:2] HighLatency`. The identity is the
receiver name, so one source can route each receiver to a user or a group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifier.webhooks.builtin_templates.alert_severity import ALERT_SEVERITY
from services.notifier.webhooks.message_template import Ignored, MessageTemplate

NOTIFICATION = MessageTemplate(
    title="""{% set firing = payload.alerts | selectattr('status', 'equalto', 'firing') | list %}
{% set group = payload.groupLabels | dictsort | map(attribute=1) | join(' ') %}
[{{ payload.status | upper }}{{ ':' ~ firing | length if payload.status == 'firing' else '' }}] \
{{ group or payload.commonLabels.alertname | default('alerts') }}""",
    body="""{% for a in payload.alerts[:20] %}
{% set extra = a.labels | dictsort | rejectattr(0, 'equalto', 'alertname') | list %}
- **{{ a.status | upper }}** {{ a.annotations.summary | default(a.labels.alertname | default('alert')) }}
{%- if extra %} ({% for k, v in extra %}{{ k }}={{ v }}{{ '' if loop.last else ', ' }}{% endfor %}){% endif %}
{%- if a.generatorURL | default('') %} · [source]({{ a.generatorURL }}){% endif %}

{% endfor %}
{% set hidden = [payload.alerts | length - 20, 0] | max + payload.truncatedAlerts | default(0) %}
{% if hidden %}
- … and {{ hidden }} more
{% endif %}""",
    severity=ALERT_SEVERITY,
    identity="{{ payload.receiver }}",
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    return NOTIFICATION
