"""Built-in templates for well-known senders, by the name a source's `template` key uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from herald.notifier.webhooks.builtin_templates import alertmanager, generic, github, grafana, stripe
from herald.notifier.webhooks.message_template import Selector

BuiltinName = Literal["github", "alertmanager", "grafana", "stripe", "generic"]


@dataclass(frozen=True)
class Builtin:
    select: Selector
    # Names the delivery (e.g. `pull_request closed`) for the generic rendering when `select` or the
    # chosen template fails; it must work on any JSON.
    event_name: Callable[[Any, Mapping[str, str]], str]
    # The sender's identity for that generic rendering (the selected templates bring their own).
    identity: str | None = None


BUILTIN_TEMPLATES: dict[BuiltinName, Builtin] = {
    "github": Builtin(github.select, github.event_name, github.SENDER),
    "alertmanager": Builtin(alertmanager.select, alertmanager.event_name, alertmanager.RECEIVER),
    "grafana": Builtin(grafana.select, grafana.event_name, grafana.RECEIVER),
    "stripe": Builtin(stripe.select, stripe.event_name),
    "generic": Builtin(generic.select, generic.event_name),
}
