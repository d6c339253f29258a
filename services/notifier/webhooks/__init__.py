"""Incoming webhooks: verify a sender's delivery, then turn its payload into a Herald event.

A route uses it in this order:

    sources = load_sources(path)                          # at startup; SourceConfigError
    source = enabled_source(sources, name)                # None -> 404
    delivery = verify_delivery(source, body, headers)     # VerificationError -> 401, PayloadError -> 422
    ... skip if delivery.delivery_id was seen ...
    outcome = render_delivery(source, delivery)           # RenderError (a PayloadError) -> 422
    if isinstance(outcome, Ignored): answer 2xx, publish nothing
    else: publish outcome.to_event(source=...)

The sources file (TOML), one `[sources.<name>]` table per sender:

    [sources.github]
    template = "github"                  # github | alertmanager | grafana | stripe | generic (default)
    enabled = true                       # default true
    verification = { scheme = "github", secrets = ["new-secret", "old-secret"] }
    default_target = { user = "ops" }    # for senders not in targets; without it they are refused
    # identity = "{{ payload.sender.login }}"      # overrides the built-in sender expression
    # delivery_id_path = "data.id"                 # or delivery_id_header; overrides the scheme's

    [sources.github.targets]             # sender identity -> target
    octocat = "alice"                    # shorthand for { user = "alice" }
    hubot = { group = "bots" }
    release-bot = { broadcast = true }

    [sources.github.message]             # optional Jinja overrides of the built-in template
    title = "{{ payload.repository.name }}: {{ headers['x-github-event'] }}"

Schemes: `github`; `stripe` and `standard-webhooks` (optional `tolerance_seconds`, default 300);
`hmac-sha256` (`header`, `encoding` = "hex" | "base64", `prefix`); `token` (`header`, `prefix`).
Templates see `payload` (parsed JSON), `headers` (lowercased, credentials removed) and `source`.
A JSON key that is also a dict method (`items`, `keys`, `values`...) must be read as `payload['items']`.
"""

from __future__ import annotations

from services.notifier.webhooks.errors import PayloadError, RenderError, SourceConfigError, VerificationError
from services.notifier.webhooks.message_template import Ignored
from services.notifier.webhooks.sources import SourceConfig, enabled_source, load_sources, parse_sources
from services.notifier.webhooks.templates import render_delivery
from services.notifier.webhooks.verification import VerifiedDelivery, verify_delivery

__all__ = [
    "Ignored",
    "PayloadError",
    "RenderError",
    "SourceConfig",
    "SourceConfigError",
    "VerificationError",
    "VerifiedDelivery",
    "enabled_source",
    "load_sources",
    "parse_sources",
    "render_delivery",
    "verify_delivery",
]
