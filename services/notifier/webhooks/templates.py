"""Step two for a delivery: turn its payload into an event, or decide not to show it.

The built-in template named by the source is chosen, its fields are replaced by any the source
overrides, each field is rendered in the sandbox, and the result is validated as an `EventRequest`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from pydantic import ValidationError

from services.notifier.webhooks.builtin_templates import BUILTIN_TEMPLATES
from services.notifier.webhooks.errors import RenderError
from services.notifier.webhooks.message_template import Ignored, MessageTemplate
from services.notifier.webhooks.payload import parse_json
from services.notifier.webhooks.sandbox import render_optional, render_text
from services.notifier.webhooks.sources import SourceConfig
from services.notifier.webhooks.targets import resolve_target
from services.notifier.webhooks.verification import VerifiedDelivery
from shared.events import MAX_BODY_BYTES, EventRequest

MAX_TITLE_CHARS = 256
_TRUNCATED = "\n\n… (truncated)"


def render_delivery(source: SourceConfig, delivery: VerifiedDelivery) -> EventRequest | Ignored:
    """Raise `UnparsableBody` (400) when the body is not JSON, `RenderError` (422) when the payload
    cannot become a valid event."""
    payload = parse_json(delivery.body)
    chosen = BUILTIN_TEMPLATES[source.template](payload, delivery.headers)
    if isinstance(chosen, Ignored):
        return chosen
    template = _with_overrides(chosen, source)
    context: dict[str, Any] = {"payload": payload, "headers": delivery.headers, "source": source.name}
    identity = render_optional(template.identity, context, "identity") if template.identity else None
    fields = {
        "id": _event_id(delivery),
        "target": resolve_target(source, identity),
        "title": _fit_title(render_text(template.title, context, "title")) or None,
        "body": _fit_body(render_text(template.body, context, "body")),
        "severity": render_text(template.severity, context, "severity").lower(),
    }
    try:
        return EventRequest.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise RenderError(f"the rendered event is invalid: {problems}") from None


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
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _fit_body(body: str) -> str:
    # A shortened message beats a 422: the sender would retry the same payload for days.
    if len(body.encode()) <= MAX_BODY_BYTES:
        return body
    room = MAX_BODY_BYTES - len(_TRUNCATED.encode())
    return body.encode()[:room].decode(errors="ignore") + _TRUNCATED
