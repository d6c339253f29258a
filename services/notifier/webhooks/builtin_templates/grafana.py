"""Grafana webhook contact point: one event per notification, listing its alerts.

Unified alerting (Grafana 8 and later) sends Alertmanager's payload plus `title`, `state`, `message`
and per-alert `values` (or, before 9, `valueString`), `dashboardURL`, `panelURL` and `silenceURL`.
Legacy alerting (Grafana 7 and earlier, and 8 with it switched on) sends one rule: `ruleName`, `state`,
`message`, `evalMatches`, `ruleUrl`. The identity is the contact point (receiver) name; legacy
payloads have none, so they go to the default target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.notifier.webhooks.builtin_templates.alert_severity import ALERT_SEVERITY
from herald.notifier.webhooks.message_template import Ignored, MessageTemplate

RECEIVER = "{{ payload.receiver }}"

NOTIFICATION = MessageTemplate(
    title="""{% set firing = (payload.alerts or []) | selectattr('status', 'equalto', 'firing') | list %}
{% if payload.title %}{{ payload.title | replace('  ', ' ') }}
{%- else %}[{{ (payload.status or 'unknown') | upper }}{{ ':' ~ firing | length if firing else '' }}] \
{{ payload.commonLabels.alertname or payload.receiver or 'Grafana alert' }}{% endif %}""",
    body="""{% for a in (payload.alerts or [])[:20] %}
- **{{ (a.status or 'unknown') | capitalize }}** {{ a.labels.alertname or 'alert' }}\
{% if a.annotations.summary %}: {{ a.annotations.summary }}{% endif %}

{% if a.valueString %}
  - Values: {{ a.valueString | code }}
{% elif a.values is mapping and a.values %}
  - Values: {{ a.values | dictsort | map('join', '=') | join(', ') | code }}
{% endif %}
{% set links = [('source', a.generatorURL), ('dashboard', a.dashboardURL), ('panel', a.panelURL),
    ('silence', a.silenceURL)] | selectattr(1, 'linkable') | list %}
{% if links %}
  - {% for name, url in links %}{{ url | link(name) }}{{ '' if loop.last else ' · ' }}{% endfor %}

{% endif %}
{% endfor %}
{% if (payload.alerts or []) | length > 20 %}
- … and {{ payload.alerts | length - 20 }} more
{% endif %}
{% if not payload.alerts %}
{{ payload.receiver or 'Grafana' }}: {{ payload.status or 'notification' }} with no alerts listed
{% endif %}""",
    severity=ALERT_SEVERITY,
    identity=RECEIVER,
)

LEGACY = MessageTemplate(
    title="{{ payload.title or payload.ruleName or 'Grafana alert' }}",
    body="""{% if payload.ruleName %}**{{ payload.ruleName }}** is {% endif %}{{ payload.state or 'notified' }}\
{% if payload.ruleUrl is linkable %} · {{ payload.ruleUrl | link('rule') }}{% endif %}
{% if payload.message %}

{{ payload.message }}
{% endif %}
{% for m in (payload.evalMatches or [])[:20] %}
- {{ m.metric or 'value' }}: {{ m.value }}
{% endfor %}""",
    severity="""{{ {'ok': 'success', 'alerting': 'warning', 'no_data': 'warning', 'pending': 'info',
    'paused': 'info'}.get(payload.state, 'warning') }}""",
)


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    legacy = isinstance(payload, dict) and "alerts" not in payload and "ruleName" in payload
    return LEGACY if legacy else NOTIFICATION


def event_name(payload: Any, headers: Mapping[str, str]) -> str:
    status = payload.get("status") or payload.get("state") if isinstance(payload, dict) else None
    return f"{status} notification" if isinstance(status, str) else "notification"
