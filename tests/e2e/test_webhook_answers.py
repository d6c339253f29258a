"""What `POST /v1/webhooks/{source}` answers a real notifier's senders: every refusal, and each acceptance once.

What these tests publish goes to the sources' sink user, whom no chat test logs in as.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from scripts.rabbitmq_node import free_port
from tests.conftest import Keys
from tests.support import processes
from tests.support.problems import assert_problem
from tests.support.processes import Service
from tests.support.webhook_senders import (
    WebhookSources,
    fixture_payload,
    github_headers,
    post_webhook,
    standard_headers,
    stripe_headers,
    unique_pull_request,
)

pytestmark = pytest.mark.e2e

ONE_MIB = 1024 * 1024


def a_pull_request(sources: WebhookSources, author: str = "someone-unmapped") -> tuple[bytes, dict[str, str]]:
    """A fresh delivery, signed with the current secret; its sender falls to the sink user."""
    body, _ = unique_pull_request(author)
    return body, github_headers(sources.github_new, body)


def a_stripe_event() -> bytes:
    payload = fixture_payload("stripe/customer_created.json")
    payload["id"] = f"evt_{uuid.uuid4().hex}"
    return json.dumps(payload).encode()


@pytest.fixture(scope="module")
def notifier_without_broker(keys: Keys, workdir: Path, webhook_sources: WebhookSources) -> Iterator[Service]:
    dead_broker = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    with processes.notifier(dead_broker, keys.file, workdir, ready_path="/healthz",
                            env={"HERALD_WEBHOOK_SOURCES_FILE": str(webhook_sources.file)}) as service:
        yield service


def test_a_delivery_is_accepted_and_its_replay_answered_200_as_a_duplicate(
        notifier: Service, webhook_sources: WebhookSources) -> None:
    body, headers = a_pull_request(webhook_sources)
    first = post_webhook(notifier.url, "github", body, headers)
    assert first.status_code == 202, first.text
    accepted = first.json()
    assert accepted["status"] == "accepted" and accepted["id"].startswith("wh_")
    replay = post_webhook(notifier.url, "github", body, headers)
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"id": accepted["id"], "status": "duplicate"}


def test_the_old_and_the_new_secret_are_both_accepted_while_rotating(
        notifier: Service, webhook_sources: WebhookSources) -> None:
    for secret in (webhook_sources.github_new, webhook_sources.github_old):
        body, _ = unique_pull_request("someone-unmapped")
        response = post_webhook(notifier.url, "github", body, github_headers(secret, body))
        assert response.status_code == 202, response.text


def test_a_wrong_secret_or_no_signature_is_401(notifier: Service, webhook_sources: WebhookSources) -> None:
    body, headers = a_pull_request(webhook_sources)
    forged = github_headers("not-the-secret", body, delivery=headers["X-GitHub-Delivery"])
    response = post_webhook(notifier.url, "github", body, forged)
    assert_problem(response, 401, "X-Hub-Signature-256 does not match the body")
    assert response.headers["www-authenticate"].startswith("Signature")
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    assert_problem(post_webhook(notifier.url, "github", body, unsigned), 401, "missing X-Hub-Signature-256")
    # Refused deliveries are not remembered: the genuine one is still accepted.
    assert post_webhook(notifier.url, "github", body, headers).status_code == 202


def test_a_tampered_body_is_401(notifier: Service, webhook_sources: WebhookSources) -> None:
    body, headers = a_pull_request(webhook_sources)
    tampered = body.replace(b'"merged": true', b'"merged": false')
    assert tampered != body
    assert_problem(post_webhook(notifier.url, "github", tampered, headers), 401, "does not match the body")


def test_a_stale_stripe_timestamp_is_401(notifier: Service, webhook_sources: WebhookSources) -> None:
    body = a_stripe_event()
    stale = stripe_headers(webhook_sources.stripe, body, signed_at=int(time.time()) - 600)
    assert_problem(post_webhook(notifier.url, "stripe", body, stale), 401, "too old")
    fresh = stripe_headers(webhook_sources.stripe, body)
    assert post_webhook(notifier.url, "stripe", body, fresh).status_code == 202


def test_a_stale_standard_webhooks_timestamp_is_401(notifier: Service, webhook_sources: WebhookSources) -> None:
    body = json.dumps({**fixture_payload("generic/deploy.json"), "version": uuid.uuid4().hex}).encode()
    stale = standard_headers(webhook_sources.standard, body, signed_at=datetime.now(UTC) - timedelta(minutes=10))
    assert_problem(post_webhook(notifier.url, "deploys", body, stale), 401, "webhook-timestamp", "too old")
    fresh = standard_headers(webhook_sources.standard, body, msg_id=stale["webhook-id"])
    assert post_webhook(notifier.url, "deploys", body, fresh).status_code == 202


def test_an_oversized_body_is_413_declared_or_streamed(notifier: Service, webhook_sources: WebhookSources) -> None:
    body = b'{"padding": "' + b"x" * ONE_MIB + b'"}'
    headers = github_headers(webhook_sources.github_new, body)
    assert_problem(post_webhook(notifier.url, "github", body, headers), 413, "limit")
    # Chunked, without a Content-Length: the cap holds while reading.
    streamed = httpx.post(f"{notifier.url}/v1/webhooks/github", headers=headers, timeout=10,
                          content=(body[i:i + 65536] for i in range(0, len(body), 65536)))
    assert_problem(streamed, 413, "limit")


def test_a_signed_body_that_is_not_json_is_400(notifier: Service, webhook_sources: WebhookSources) -> None:
    body = b"payload=%7B%22action%22%3A%22opened%22%7D"  # GitHub's form encoding, not supported
    github = post_webhook(notifier.url, "github", body, github_headers(webhook_sources.github_new, body))
    assert_problem(github, 400, "not valid JSON")
    # Stripe's delivery id is inside the body, so the body is read before the template runs.
    stripe = post_webhook(notifier.url, "stripe", body, stripe_headers(webhook_sources.stripe, body))
    assert_problem(stripe, 400, "not valid JSON")


def test_unknown_and_disabled_sources_get_the_same_404(notifier: Service, webhook_sources: WebhookSources) -> None:
    body, headers = a_pull_request(webhook_sources)  # signed with the secret `retired` also holds
    disabled = post_webhook(notifier.url, "retired", body, headers)
    unknown = post_webhook(notifier.url, "no-such-source", body, headers)
    assert_problem(disabled, 404)
    assert (unknown.status_code, unknown.headers["content-type"], unknown.content) == (
        disabled.status_code, disabled.headers["content-type"], disabled.content)
    for name in ("retired", "github", "stripe", "deploys"):
        assert name not in disabled.text


def test_a_ping_is_answered_200_and_not_published(notifier: Service, webhook_sources: WebhookSources) -> None:
    body = json.dumps(fixture_payload("github/ping.json")).encode()
    headers = github_headers(webhook_sources.github_new, body, event="ping")
    for _ in range(2):  # still "ignored" the second time: nothing was published, so nothing was remembered
        response = post_webhook(notifier.url, "github", body, headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ignored", "reason": "GitHub ping"}


def test_a_sender_without_a_target_is_422_naming_why(notifier: Service, webhook_sources: WebhookSources) -> None:
    stranger = f"stranger-{uuid.uuid4().hex[:6]}"
    body, marker = unique_pull_request(stranger)
    response = post_webhook(notifier.url, "github-strict", body, github_headers(webhook_sources.github_new, body))
    assert_problem(response, 422, f"sender '{stranger}' is not in the targets", "no default_target")
    assert marker not in response.text


def test_an_unreachable_broker_is_503_and_the_retry_is_served_afresh(
        notifier_without_broker: Service, webhook_sources: WebhookSources) -> None:
    body, headers = a_pull_request(webhook_sources)
    for _ in range(2):  # not a duplicate, not in flight: the failed attempt released its delivery id
        response = post_webhook(notifier_without_broker.url, "github", body, headers)
        assert_problem(response, 503, "Retry later")
        assert int(response.headers["retry-after"]) > 0


def test_the_logs_hold_no_secret_and_no_payload(notifier: Service, webhook_sources: WebhookSources) -> None:
    body, marker = unique_pull_request("someone-unmapped")
    wrong = github_headers(webhook_sources.github_old[::-1], body)
    assert post_webhook(notifier.url, "github-strict", body, wrong).status_code == 401
    signed = github_headers(webhook_sources.github_new, body)
    assert post_webhook(notifier.url, "github", body, signed).status_code == 202
    log = notifier.output()
    assert "webhook github: delivery" in log  # the notifier does log deliveries
    for secret in (webhook_sources.github_new, webhook_sources.github_old, webhook_sources.stripe,
                   webhook_sources.standard):
        assert secret not in log
    assert marker not in log
