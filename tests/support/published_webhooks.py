"""The example payloads GitHub, Stripe, Alertmanager and Grafana publish (tests/fixtures/webhooks/published),
each signed as its sender signs, with the outcome Herald documents for it (README, "Webhook templates").
"""

from __future__ import annotations

import gzip
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tests.support.webhook_senders import bearer_headers, github_headers, hmac_headers, stripe_headers

PUBLISHED = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "published"
GITHUB_VERSIONS = ("api.github.com", "ghes-31", "ghes-32", "ghes-33", "ghes-34", "ghes-35")

Outcome = Literal["shown", "generic", "ignored"]

# The README's table: per GitHub event with a template of its own, the actions shown.
GITHUB_SHOWN_ACTIONS = {
    "pull_request": {"opened", "reopened", "closed", "ready_for_review", "review_requested"},
    "issues": {"opened", "reopened", "closed", "assigned"},
    "workflow_run": {"completed"},
    "release": {"published"},
}


@dataclass(frozen=True)
class Example:
    sender: Literal["github", "stripe", "alertmanager", "grafana"]  # also the template's name
    version: str  # where it was published: a GitHub version, a sender's release, a docs page
    kind: str  # GitHub's event name (X-GitHub-Event); Stripe's `type`; the alert status
    payload: Any

    @property
    def body(self) -> bytes:
        return json.dumps(self.payload).encode()

    @property
    def action(self) -> str | None:
        action = self.payload.get("action") if isinstance(self.payload, dict) else None
        return action if isinstance(action, str) else None

    def label(self) -> str:
        return f"{self.sender}/{self.version}/{self.kind}" + (f".{self.action}" if self.action else "")

    def expected(self) -> Outcome:
        if self.sender != "github":
            return "shown"
        if self.kind == "ping":
            return "ignored"
        if self.kind in GITHUB_SHOWN_ACTIONS and self.action not in GITHUB_SHOWN_ACTIONS[self.kind]:
            return "ignored"
        # A template needs the repository or organisation to say anything; without, the generic rendering.
        repository = self.payload.get("repository") or {}
        organization = self.payload.get("organization") or {}
        return "shown" if repository.get("full_name") or organization.get("login") else "generic"


@cache
def published_examples() -> tuple[Example, ...]:
    return tuple(_github()) + tuple(_stripe()) + tuple(_alertmanager()) + tuple(_grafana())


def _github() -> Iterator[Example]:
    data = json.loads(gzip.decompress((PUBLISHED / "github" / "octokit-webhooks-examples-7.6.1.json.gz").read_bytes()))
    for version in GITHUB_VERSIONS:
        for event, index in data["versions"][version]:
            yield Example("github", version, event, data["examples"][index])


def _stripe() -> Iterator[Example]:
    data = json.loads(gzip.decompress((PUBLISHED / "stripe" / "events.json.gz").read_bytes()))
    for event in data["events"]:
        yield Example("stripe", "openapi-fixtures3", event["type"], event)


def _alertmanager() -> Iterator[Example]:
    data = json.loads((PUBLISHED / "alertmanager" / "alertmanager-0.25.0.json").read_text())
    for delivery in data["deliveries"]:
        yield Example("alertmanager", "0.25.0", delivery["payload"]["status"], delivery["payload"])


def _grafana() -> Iterator[Example]:
    for path in sorted((PUBLISHED / "grafana").glob("*.json")):
        payload = json.loads(path.read_text())
        yield Example("grafana", path.stem, payload.get("status") or payload.get("state"), payload)


@dataclass(frozen=True)
class PublishedSources:
    """A sources file with one source per sender, named as its template, and fresh secrets."""

    file: Path
    github: str
    stripe: str
    alertmanager: str
    grafana: str

    def headers(self, example: Example) -> dict[str, str]:
        """Signed as the sender signs; each GitHub delivery gets an id of its own."""
        if example.sender == "github":
            return github_headers(self.github, example.body, event=example.kind, delivery=str(uuid.uuid4()))
        if example.sender == "stripe":
            return stripe_headers(self.stripe, example.body)
        if example.sender == "alertmanager":
            return bearer_headers(self.alertmanager)
        return hmac_headers(self.grafana, example.body)


def write_published_sources(path: Path, target: str) -> PublishedSources:
    """Every sender's deliveries go to the user `target`, unlimited in rate: GitHub's 726 come at once."""
    sources = PublishedSources(path, secrets.token_hex(16), "whsec_" + secrets.token_hex(16),
                               secrets.token_hex(16), secrets.token_hex(16))
    path.write_text(f"""
[sources.github]
template = "github"
rate_limit = "unlimited"
verification = {{ scheme = "github", secrets = ["{sources.github}"] }}
default_target = "{target}"

[sources.stripe]
template = "stripe"
rate_limit = "unlimited"
verification = {{ scheme = "stripe", secrets = ["{sources.stripe}"] }}
default_target = "{target}"

[sources.alertmanager]
template = "alertmanager"
rate_limit = "unlimited"
default_target = "{target}"
[sources.alertmanager.verification]
scheme = "token"
header = "Authorization"
prefix = "Bearer "
secrets = ["{sources.alertmanager}"]

[sources.grafana]
template = "grafana"
rate_limit = "unlimited"
verification = {{ scheme = "hmac-sha256", header = "X-Grafana-Alerting-Signature", secrets = ["{sources.grafana}"] }}
default_target = "{target}"
""")
    return sources
