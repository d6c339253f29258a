"""Grafana unified alerting webhook contact point: one event per notification, listing its alerts.

Grafana's payload is Alertmanager's plus `title`, `state`, `message` and per-alert `valueString`,
`dashboardURL`, `panelURL` and `silenceURL`. The identity is the contact point (receiver) name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifier.webhooks.builtin_templates.alert_severity import ALERT_SEVERITY
from services.notifier.webhooks.message_template import Ignored, MessageTemplate

NOTIFICATION = MessageTemplate(
    title="""{{ payload.title | default('[' ~ payload.status | upper ~ '] ' ~ payload.receiver)
    | replace('  ', ' ') }}""",
    body="""{% for a in payload.alerts[:20] %}
- **{{ a.status | capitalize }}** {{ a.labels.alertname | default('alert') }}\
{{ ': ' ~ a.annotations.summary if a.annotations.summary is defined else '' }}
{% if a.valueString | default('') %}
  - Values: `{{ a.valueString }}`
{% endif %}
{% set links = [('source', a.generatorURL | default('')), ('dashboard', a.dashboardURL | default('')),
    ('panel', a.panelURL | default('')), ('silence', a.silenceURL | default(''))] | selectattr(1) | list %}
{% if links %}
  - {% for name, url in links %}[{{ name }}]({{ url }}){{ '' if loop.last else ' · ' }}{% endfor %}

{% endif %}
{% endfor %}
{% if payload.alerts | length > 20 %}
- … and {{ payload.alerts | length - 20 }} more
{% endif %}""",
    severity=ALERT_SEVERITY,
    identity="{{ payload.receiver }}",
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    return NOTIFICATION
