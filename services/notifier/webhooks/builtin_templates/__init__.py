"""Built-in templates for well-known senders, by the name a source's `template` key uses."""

from __future__ import annotations

from typing import Literal

from services.notifier.webhooks.builtin_templates import alertmanager, generic, github, grafana, stripe
from services.notifier.webhooks.message_template import Selector

BuiltinName = Literal["github", "alertmanager", "grafana", "stripe", "generic"]

BUILTIN_TEMPLATES: dict[BuiltinName, Selector] = {
    "github": github.select,
    "alertmanager": alertmanager.select,
    "grafana": grafana.select,
    "stripe": stripe.select,
    "generic": generic.select,
}
