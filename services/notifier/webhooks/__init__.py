"""Incoming webhooks: verify a sender's delivery, then turn its payload into a Herald event.

The route (`services/notifier/webhooks_route.py`) uses it in this order:

    sources = SourcesFile.open(path)                      # at startup; SourceConfigError
    source = sources.enabled(name)                        # re-reads a changed file; None -> 404
    delivery = verify_delivery(source, body, headers)     # VerificationError -> 401, PayloadError -> 422
    outcome = render_delivery(source, delivery)           # RenderError (no target) -> 422
    if isinstance(outcome, Ignored): answer 2xx, publish nothing
    else: publish outcome.to_event(source=...) once per delivery.delivery_id
    # UnparsableBody (a PayloadError) from either step -> 400

A template that cannot render a delivery never refuses it: the delivery is shown generically and the
log says why (see `templates`). Rendering comes before the seen-id check: it is cheap and
deterministic, and it lets the seen-id check share the events' publish-once path. So a seen delivery
that the sources, edited since, no longer map to a target is answered 422 rather than 200; it is still
not published.

The sources file (TOML), one `[sources.<name>]` table per sender:

    [sources.github]
    template = "github"                  # github | alertmanager | grafana | stripe | generic (default)
    enabled = true                       # default true
    verification = { scheme = "github", secrets = ["new-secret", "old-secret"] }
    default_target = { user = "ops" }    # for senders not in targets; without it they are refused
    # identity = "{{ payload.sender.login }}"      # overrides the built-in sender expression
    # delivery_id_path = "data.id"                 # or delivery_id_header; overrides the scheme's
    # rate_limit = { per_second = 5, burst = 100 } # or "unlimited"; default HERALD_RATE_LIMIT_*

    [sources.github.targets]             # sender identity -> target
    octocat = "alice"                    # shorthand for { user = "alice" }
    hubot = { group = "bots" }
    release-bot = { broadcast = true }

    [sources.github.message]             # optional Jinja overrides of the built-in template
    title = "{{ payload.repository.name }}: {{ headers['x-github-event'] }}"

Schemes: `github`; `stripe` and `standard-webhooks` (optional `tolerance_seconds`, default 300);
`hmac-sha256` (`header`, `encoding` = "hex" | "base64", `prefix`); `token` (`header`, `prefix`).
Templates see `payload` (parsed JSON), `headers` (lowercased, credentials removed), `source` and
`event` (what the built-in template calls the delivery, e.g. `pull_request closed`). A JSON key that is
also a dict method (`items`, `keys`, `values`...) must be read as `payload['items']`. A missing field
prints as nothing. Everything a `{{ ... }}` prints in a title or body is markdown-escaped (the sender
controls it); the filters `link(url, text)`, `code`, `code_block` and `verbatim` build markdown on
purpose (see `markdown_text`).
"""

from __future__ import annotations

from herald.notifier.webhooks.errors import (
    PayloadError,
    RenderError,
    SourceConfigError,
    UnparsableBody,
    VerificationError,
)
from herald.notifier.webhooks.message_template import Ignored
from herald.notifier.webhooks.sources import SourceConfig, enabled_source, load_sources, parse_sources
from herald.notifier.webhooks.sources_file import SourcesFile
from herald.notifier.webhooks.templates import render_delivery
from herald.notifier.webhooks.verification import VerifiedDelivery, verify_delivery

__all__ = [
    "Ignored",
    "PayloadError",
    "RenderError",
    "SourceConfig",
    "SourceConfigError",
    "SourcesFile",
    "UnparsableBody",
    "VerificationError",
    "VerifiedDelivery",
    "enabled_source",
    "load_sources",
    "parse_sources",
    "render_delivery",
    "verify_delivery",
]
