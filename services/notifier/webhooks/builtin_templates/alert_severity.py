"""Severity for Alertmanager-shaped notifications, shared by the Alertmanager and Grafana templates.

Resolved is success. Firing is error if any firing alert has a `severity` label of critical, error,
page, high or major; info if every firing alert says info, none or low; warning otherwise (including
no `severity` label at all).
"""

from __future__ import annotations

ALERT_SEVERITY = """{% set levels = (payload.alerts or []) | selectattr('status', 'equalto', 'firing')
    | map(attribute='labels.severity', default='') | map('string') | map('lower') | list %}
{% if payload.status == 'resolved' %}success
{%- elif levels | select('in', ['critical', 'error', 'page', 'high', 'major']) | list %}error
{%- elif levels and not (levels | reject('in', ['info', 'none', 'low']) | list) %}info
{%- else %}warning{% endif %}"""
