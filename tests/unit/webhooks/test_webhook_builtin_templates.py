"""Each built-in template renders its sender's realistic payload into the expected title and body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from herald.contract.events import EventRequest, Severity
from herald.notifier.webhooks import Ignored, SourceConfig, VerifiedDelivery, render_delivery

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]
ReadFixture = Callable[[str], bytes]


def render(
    source: SourceConfig, body: bytes, headers: dict[str, str] | None = None
) -> EventRequest | Ignored:
    return render_delivery(source, VerifiedDelivery(source.name, "d-1", body, headers or {}))


def event(source: SourceConfig, body: bytes, headers: dict[str, str] | None = None) -> EventRequest:
    outcome = render(source, body, headers)
    assert isinstance(outcome, EventRequest), outcome
    return outcome


@pytest.fixture
def github(make_source: MakeSource) -> SourceConfig:
    return make_source(
        "github",
        template="github",
        targets={"alice-dev": "alice", "bob-ops": "bob", "carol-qa": "carol"},
        default_target="triage",
    )


@pytest.mark.parametrize(
    ("fixture", "kind", "title", "body", "severity", "user"),
    [
        (
            "push",
            "push",
            "[acme/herald] 2 new commits pushed to main",
            "**alice-dev** pushed to `main` ([compare](https://github.com/acme/herald/compare/9c1e4a0b5d2f...4f2b8e1c9a7d))\n"
            "- [`1a2b3c4`](https://github.com/acme/herald/commit/1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d)"
            " Add webhook verification — Alice Martin\n"
            "- [`4f2b8e1`](https://github.com/acme/herald/commit/4f2b8e1c9a7d6b5e3f1a2c4d6e8f0a1b3c5d7e9f)"
            " Fix typo in README — Bob Ortiz",
            Severity.INFO,
            "alice",
        ),
        (
            "pull_request_merged",
            "pull_request",
            "[acme/herald] PR #42 merged: Verify webhook signatures",
            "**bob-ops** merged [#42 Verify webhook signatures](https://github.com/acme/herald/pull/42)"
            " (`feature/webhooks` → `main`)",
            Severity.SUCCESS,
            "alice",  # the PR's author hears that it was merged
        ),
        (
            "pull_request_review_requested",
            "pull_request",
            "[acme/herald] PR #42 review requested: Verify webhook signatures",
            "**alice-dev** requested a review on [#42 Verify webhook signatures]"
            "(https://github.com/acme/herald/pull/42) (`feature/webhooks` → `main`)\n\n"
            "Review requested from **carol-qa**.",
            Severity.INFO,
            "carol",  # the requested reviewer
        ),
        (
            "issues_opened",
            "issues",
            "[acme/herald] Issue #57 opened: Chat drops events after reconnect",
            "**carol-qa** opened [#57 Chat drops events after reconnect](https://github.com/acme/herald/issues/57)",
            Severity.INFO,
            "carol",
        ),
        (
            "workflow_run_failed",
            "workflow_run",
            "[acme/herald] CI failed on main",
            "[CI #318](https://github.com/acme/herald/actions/runs/9120345678) failed on `main`"
            " for Fix typo in README (triggered by push from **bob-ops**)",
            Severity.ERROR,
            "bob",
        ),
        (
            "release_published",
            "release",
            "[acme/herald] Release Herald 0.3.0 published",
            "**alice-dev** published [Herald 0.3.0](https://github.com/acme/herald/releases/tag/v0.3.0)\n\n"
            # The release notes are the sender's text: shown as written, their markdown escaped.
            "\\## What's changed\n\\* Webhook sources by @alice-dev in #42",
            Severity.SUCCESS,
            "alice",
        ),
    ],
)
def test_github_events(
    github: SourceConfig,
    read_fixture: ReadFixture,
    fixture: str,
    kind: str,
    title: str,
    body: str,
    severity: Severity,
    user: str,
) -> None:
    rendered = event(github, read_fixture(f"github/{fixture}.json"), {"x-github-event": kind})
    assert (rendered.title, rendered.body, rendered.severity) == (title, body, severity)
    assert rendered.target.user == user


def test_github_ping_is_answered_but_not_shown(github: SourceConfig, read_fixture: ReadFixture) -> None:
    assert render(github, read_fixture("github/ping.json"), {"x-github-event": "ping"}) == Ignored(
        "GitHub ping"
    )


def test_github_noisy_actions_are_not_shown(github: SourceConfig, read_fixture: ReadFixture) -> None:
    outcome = render(
        github, read_fixture("github/pull_request_synchronize.json"), {"x-github-event": "pull_request"}
    )
    assert outcome == Ignored("GitHub pull_request action 'synchronize' is not shown")


def test_other_github_events_get_a_one_line_summary(github: SourceConfig, read_fixture: ReadFixture) -> None:
    rendered = event(github, read_fixture("github/issues_opened.json"), {"x-github-event": "issue_comment"})
    assert rendered.title == "[acme/herald] issue_comment opened: #57 Chat drops events after reconnect"
    assert rendered.body == (
        "**carol-qa** opened `issue_comment` on [acme/herald](https://github.com/acme/herald)"
        " ([view](https://github.com/acme/herald/issues/57))"
    )


def test_github_without_an_event_header_is_shown_generically(
    github: SourceConfig, read_fixture: ReadFixture, caplog: pytest.LogCaptureFixture
) -> None:
    rendered = event(github, read_fixture("github/push.json"))
    assert rendered.title == "github: event"
    assert rendered.body.startswith("`event` from github, shown as received:\n\n```json\n{\n")
    assert rendered.target.user == "alice"  # the sender, as for every other GitHub event
    assert "the github template failed (no X-GitHub-Event header); shown generically" in caplog.text


def test_alertmanager_firing_lists_each_alert(make_source: MakeSource, read_fixture: ReadFixture) -> None:
    alerts = make_source(template="alertmanager", targets={"team-api": {"user": "api-oncall"}})
    rendered = event(alerts, read_fixture("alertmanager/firing.json"))
    assert rendered.title == "[FIRING:2] HighRequestLatency"
    assert rendered.body == (
        "- **FIRING** p99 latency above 500 ms on api-1 (instance=api-1:9100, job=api, severity=warning)"
        " · [source](http://prometheus.example.com:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28"
        "http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+0.5&g0.tab=1)\n"
        "- **FIRING** p99 latency above 2 s on api-2 (instance=api-2:9100, job=api, severity=critical)"
        " · [source](http://prometheus.example.com:9090/graph?g0.expr=x)"
    )
    assert rendered.severity == Severity.ERROR  # one of the two is critical
    assert rendered.target.user == "api-oncall"  # by receiver


def test_alertmanager_resolved_is_success(make_source: MakeSource, read_fixture: ReadFixture) -> None:
    alerts = make_source(template="alertmanager", default_target="ops")
    rendered = event(alerts, read_fixture("alertmanager/resolved.json"))
    assert rendered.title == "[RESOLVED] DiskFilling db-1:9100"
    assert rendered.body == (
        "- **RESOLVED** Disk /dev/sda1 on db-1 will fill within 4 hours"
        " (device=/dev/sda1, instance=db-1:9100, severity=warning)"
        " · [source](http://prometheus.example.com:9090/graph?g0.expr=predict_linear)"
    )
    assert rendered.severity == Severity.SUCCESS


@pytest.mark.parametrize(
    ("levels", "severity"),
    [
        (["warning", "critical"], Severity.ERROR),
        (["warning", "info"], Severity.WARNING),
        (["info", "none"], Severity.INFO),
        ([None], Severity.WARNING),  # no severity label at all
    ],
)
def test_alert_severity_follows_the_severity_label(
    make_source: MakeSource, levels: list[str | None], severity: Severity
) -> None:
    alerts: list[dict[str, Any]] = [
        {
            "status": "firing",
            "labels": {"alertname": "A", **({"severity": s} if s else {})},
            "annotations": {},
        }
        for s in levels
    ]
    payload = {"receiver": "r", "status": "firing", "alerts": alerts, "groupLabels": {}, "commonLabels": {}}
    rendered = event(make_source(template="alertmanager", default_target="ops"), json.dumps(payload).encode())
    assert rendered.severity == severity
    assert rendered.title == f"[FIRING:{len(levels)}] alerts"


def test_grafana_firing(make_source: MakeSource, read_fixture: ReadFixture) -> None:
    rendered = event(
        make_source(template="grafana", targets={"sre-webhook": {"user": "sre"}}),
        read_fixture("grafana/firing.json"),
    )
    # Grafana's own title is the sender's text, so its brackets are escaped like any other.
    assert rendered.title == "\\[FIRING:1\\] High memory usage Infra (sre critical)"
    assert rendered.body == (
        "- **Firing** High memory usage: Memory above 90% on worker-3\n"
        "  - Values: `[ var='B' labels={instance=worker-3} value=93.4 ], [ var='C' labels={instance=worker-3}"
        " value=1 ]`\n"
        "  - [source](https://grafana.example.com/alerting/grafana/cdk2a9/view?orgId=1)"
        " · [dashboard](https://grafana.example.com/d/node-exporter?orgId=1)"
        " · [panel](https://grafana.example.com/d/node-exporter?orgId=1&viewPanel=12)"
        " · [silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana"
        "&matcher=alertname%3DHigh+memory+usage)"
    )
    assert rendered.severity == Severity.ERROR
    assert rendered.target.user == "sre"


@pytest.mark.parametrize(
    ("fixture", "title", "body", "severity"),
    [
        (
            "payment_intent_succeeded",
            "Payment of 49.00 EUR succeeded",
            "PaymentIntent `pi_3PGk2aLkdIwHu7ix0c1T9xqR` for customer `cus_Q6x1ZyR3aBcDeF`"
            " (Herald Team plan, May 2024)",
            Severity.SUCCESS,
        ),
        (
            "payment_intent_payment_failed",
            "[test] Payment of 129,900 JPY failed",  # JPY has no minor unit; test mode is flagged
            "PaymentIntent `pi_3PGm7cLkdIwHu7ix1aB2cD3e` for customer `cus_Q6x1ZyR3aBcDeF` failed:"
            " Your card has insufficient funds.",
            Severity.ERROR,
        ),
        (
            "invoice_paid",
            "Invoice A1B2C3D4-0007 paid: 49.00 EUR",
            "Customer billing@acme.example paid invoice A1B2C3D4-0007"
            " · [view invoice](https://invoice.stripe.com/i/acct_1NxYz/test_YWNjdF8xTnhZeg)",
            Severity.SUCCESS,
        ),
        (
            "invoice_payment_failed",
            "Payment failed for invoice A1B2C3D4-0008: 49.00 EUR",
            "Attempt 2 to charge customer billing@acme.example for invoice A1B2C3D4-0008 failed;"
            " next attempt 2024-05-17 09:48 UTC"
            " · [view invoice](https://invoice.stripe.com/i/acct_1NxYz/test_YWNjdF8xTnhZeg)",
            Severity.ERROR,
        ),
        (
            "customer_created",
            "Stripe customer.created: New Customer",
            "`customer.created` on customer `cus_Q6zA1bC2dE3fG4`: New Customer",
            Severity.INFO,
        ),
    ],
)
def test_stripe_events(
    make_source: MakeSource,
    read_fixture: ReadFixture,
    fixture: str,
    title: str,
    body: str,
    severity: Severity,
) -> None:
    rendered = event(
        make_source(template="stripe", default_target="billing"), read_fixture(f"stripe/{fixture}.json")
    )
    assert (rendered.title, rendered.body, rendered.severity) == (title, body, severity)
    assert rendered.target.user == "billing"


def test_generic_fallback_fences_an_excerpt(make_source: MakeSource, read_fixture: ReadFixture) -> None:
    rendered = event(make_source("deploys", default_target="ops"), read_fixture("generic/deploy.json"))
    assert rendered.title == "deploys"
    # The payload holds ``` so the fence grows to four backticks and cannot be closed early.
    assert rendered.body.startswith('````json\n{\n  "event": "deployment.finished",\n')
    assert rendered.body.endswith('  "note": "Rolled out with ```canary``` first"\n}\n````')


def test_generic_fallback_stays_short_for_huge_payloads(make_source: MakeSource) -> None:
    huge = (
        '{"rows": [' + ",".join(f'{{"n": {i}, "text": "{"é" * 40}"}}' for i in range(5000)) + "]}"
    ).encode()
    rendered = event(make_source(default_target="ops"), huge)
    assert len(rendered.body.encode()) < 2200
    assert rendered.body.endswith("\n…\n```")
