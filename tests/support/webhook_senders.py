"""Webhook senders for the process tests: a sources file with fresh secrets, and signed deliveries.

The signatures are computed here from each sender's documentation (and, for Standard Webhooks, by
the `standardwebhooks` reference package), never with the notifier's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
# The GitHub login the sources file maps to the chat user `dave`.
DAVE_ON_GITHUB = "dave-gh"


@dataclass(frozen=True)
class WebhookSources:
    file: Path
    github_new: str  # the github source accepts both while its secret is being rotated
    github_old: str
    stripe: str
    standard: str
    relay: str  # the shared token of a source that cannot sign: a client can send any body with it
    # The user every unmapped sender's events go to. Nobody logs in as them, so what the answer
    # tests publish waits in an inbox no test reads.
    sink: str


def write_sources(path: Path) -> WebhookSources:
    sources = WebhookSources(
        file=path,
        github_new=secrets.token_hex(16),
        github_old=secrets.token_hex(16),
        stripe="whsec_" + secrets.token_hex(16),
        standard="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        relay=secrets.token_hex(16),
        sink=f"webhook-sink-{uuid.uuid4().hex[:8]}",
    )
    github = f'scheme = "github", secrets = ["{sources.github_new}", "{sources.github_old}"]'
    path.write_text(f"""
[sources.github]
template = "github"
verification = {{ {github} }}
default_target = "{sources.sink}"
targets = {{ {DAVE_ON_GITHUB} = "dave" }}

[sources.github-strict]  # no default target: a sender not in the targets is a 422
template = "github"
verification = {{ scheme = "github", secrets = ["{sources.github_new}"] }}

[sources.stripe]
template = "stripe"
verification = {{ scheme = "stripe", secrets = ["{sources.stripe}"] }}
default_target = "{sources.sink}"

[sources.deploys]
verification = {{ scheme = "standard-webhooks", secrets = ["{sources.standard}"] }}
default_target = "{sources.sink}"

[sources.relay]  # the generic template, unsigned: any JSON body with the token reaches the template
verification = {{ scheme = "token", header = "X-Relay-Token", secrets = ["{sources.relay}"] }}
default_target = "{sources.sink}"
rate_limit = "unlimited"  # the OpenAPI conformance test sends it hundreds of requests as fast as it can

[sources.retired]
enabled = false
template = "github"
verification = {{ scheme = "github", secrets = ["{sources.github_new}"] }}
default_target = "{sources.sink}"
""")
    return sources


def fixture_payload(relative: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / relative).read_text())
    return payload


def unique_pull_request(author: str = DAVE_ON_GITHUB) -> tuple[bytes, str]:
    """A merged-PR payload by `author` whose title holds a fresh marker; returns the body and the marker."""
    payload = fixture_payload("github/pull_request_merged.json")
    marker = f"marker-{uuid.uuid4().hex[:12]}"
    payload["pull_request"]["title"] = f"Verify webhook signatures {marker}"
    payload["pull_request"]["user"]["login"] = author
    return json.dumps(payload).encode(), marker


def github_headers(secret: str, body: bytes, event: str = "pull_request",
                   delivery: str | None = None) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "X-Hub-Signature-256": f"sha256={signature}"}


def stripe_headers(secret: str, body: bytes, signed_at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if signed_at is None else signed_at
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Stripe-Signature": f"t={timestamp},v1={signature}"}


def standard_headers(secret: str, body: bytes, signed_at: datetime | None = None,
                     msg_id: str | None = None) -> dict[str, str]:
    signed_at = signed_at or datetime.now(UTC)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=signed_at, data=body.decode())
    return {"Content-Type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(int(signed_at.timestamp())), "webhook-signature": signature}


def post_webhook(base_url: str, source: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/webhooks/{source}", content=body, headers=headers, timeout=10)


def hmac_headers(secret: str, body: bytes, header: str = "X-Grafana-Alerting-Signature") -> dict[str, str]:
    """A hex HMAC-SHA256 of the body in one header, as Grafana's webhook contact point signs."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", header: signature}


def bearer_headers(token: str) -> dict[str, str]:
    """Alertmanager's `http_config.authorization`: it cannot sign, it sends a bearer token."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
