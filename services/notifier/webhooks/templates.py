"""Step two for a delivery: turn its payload into an event, or decide not to show it.

The built-in template named by the source is chosen, its fields are replaced by any the source
overrides, each field is rendered in the sandbox, and the result is validated as an `EventRequest`.

A sender counts any 4xx as a failed delivery (GitHub disables a hook after enough of them), and a
payload the template did not foresee is Herald's problem, not the sender's. So a template that cannot
render a delivery, or renders an invalid event, never refuses it: the delivery is shown generically
(the source, the event, a fenced excerpt of the payload) and the log says which template failed and
why. Only what the operator must fix is refused (422): a sender that maps to no target.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from herald.contract.events import MAX_BODY_BYTES, EventRequest
from herald.notifier.webhooks.builtin_templates import BUILTIN_TEMPLATES
from herald.notifier.webhooks.builtin_templates.generic import UNRENDERABLE
from herald.notifier.webhooks.errors import RenderError
from herald.notifier.webhooks.message_template import Ignored, MessageTemplate
from herald.notifier.webhooks.payload import parse_json
from herald.notifier.webhooks.sandbox import render_markdown, render_plain
from herald.notifier.webhooks.sources import SourceConfig
from herald.notifier.webhooks.targets import resolve_target
from herald.notifier.webhooks.verification import VerifiedDelivery

log = logging.getLogger("herald.notifier.webhooks")

MAX_TITLE_CHARS = 256
_TRUNCATED = "\n\n… (truncated)"


def render_delivery(source: SourceConfig, delivery: VerifiedDelivery) -> EventRequest | Ignored:
    """Raise `UnparsableBody` (400) when the body is not JSON, `RenderError` (422) when the sender maps
    to no target. Any other failure gives the generic rendering."""
    payload = parse_json(delivery.body)
    builtin = BUILTIN_TEMPLATES[source.template]
    context: dict[str, Any] = {"payload": payload, "headers": delivery.headers, "source": source.name,
                               "event": builtin.event_name(payload, delivery.headers)}
    failure: str | None = None
    try:
        chosen = builtin.select(payload, delivery.headers)
    # The payload lacks what the template needs to say anything, or has a shape nobody foresaw: any
    # JSON can arrive signed, and the sender would retry a refusal for days.
    except Exception as exc:
        chosen = dataclasses.replace(UNRENDERABLE, identity=source.identity or builtin.identity)
        failure = exc.reason if isinstance(exc, RenderError) else f"{type(exc).__name__}: {exc}"
    else:
        if isinstance(chosen, Ignored):
            return chosen
    template = _with_overrides(chosen, source) if failure is None else chosen
    identity = _identity(template, context, source, delivery)
    target = resolve_target(source, identity)
    if failure is None:
        try:
            return _event(template, context, target, delivery)
        except RenderError as exc:
            failure = exc.reason
    log.warning("webhook %s: delivery %s: the %s template failed (%s); shown generically",
                source.name, delivery.delivery_id or "?", source.template, failure)
    return _event(UNRENDERABLE, context, target, delivery)


def _event(template: MessageTemplate, context: Mapping[str, Any], target: dict[str, Any],
           delivery: VerifiedDelivery) -> EventRequest:
    fields = {
        "id": _event_id(delivery),
        "target": target,
        "title": _fit_title(render_markdown(template.title, context, "title")) or None,
        "body": _fit_body(render_markdown(template.body, context, "body")),
        "severity": (render_plain(template.severity, context, "severity") or "").lower(),
    }
    try:
        return EventRequest.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise RenderError(f"the rendered event is invalid: {problems}") from None


def _identity(template: MessageTemplate, context: Mapping[str, Any], source: SourceConfig,
              delivery: VerifiedDelivery) -> str | None:
    if not template.identity:
        return None
    try:
        return render_plain(template.identity, context, "identity")
    except RenderError as exc:  # the default target, if any, still gets the delivery
        log.warning("webhook %s: delivery %s: %s", source.name, delivery.delivery_id or "?", exc.reason)
        return None


def _with_overrides(template: MessageTemplate, source: SourceConfig) -> MessageTemplate:
    overrides = {k: v for k, v in source.message.model_dump().items() if v is not None}
    if source.identity is not None:
        overrides["identity"] = source.identity
    return dataclasses.replace(template, **overrides)


def _event_id(delivery: VerifiedDelivery) -> str | None:
    # Derived from the delivery id, so a redelivery that slips past dedupe is still the same event.
    if delivery.delivery_id is None:
        return None
    digest = hashlib.sha256(f"{delivery.source}\n{delivery.delivery_id}".encode()).hexdigest()
    return f"wh_{digest[:32]}"


def _fit_title(title: str) -> str:
    # One line: the chat shows the title in bold on the message's first line.
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    # Never end on half an escape: a lone trailing backslash would escape the chat's closing `**`.
    return re.sub(r"(?<!\\)((?:\\\\)*)\\$", r"\1", title[: MAX_TITLE_CHARS - 1]) + "…"


def _fit_body(body: str) -> str:
    # A shortened message beats a 422: the sender would retry the same payload for days.
    if len(body.encode()) <= MAX_BODY_BYTES:
        return body
    room = MAX_BODY_BYTES - len(_TRUNCATED.encode())
    return body.encode()[:room].decode(errors="ignore") + _TRUNCATED
