"""Every example payload GitHub (github.com and Enterprise Server 3.1-3.5), Stripe, Alertmanager and Grafana
publish goes through verification and rendering: shown, or ignored by a documented rule, never refused.

The examples, their sources and licences: tests/fixtures/webhooks/published/NOTICE.md. The outcome each
should have (`Example.expected`) is the README's table, written out in tests/support/published_webhooks.py.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from herald.contract.events import EventRequest
from herald.notifier.webhooks import Ignored, load_sources, render_delivery, verify_delivery
from herald.notifier.webhooks.sandbox import first_line, money
from tests.support.published_webhooks import (
    GITHUB_VERSIONS,
    Example,
    PublishedSources,
    published_examples,
    write_published_sources,
)

pytestmark = pytest.mark.unit

EXAMPLES = published_examples()
TARGET = "published-sink"


def unescaped(markdown: str) -> str:
    """The text a reader sees: CommonMark's backslash escapes removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedSources:
    return write_published_sources(tmp_path_factory.mktemp("published") / "sources.toml", TARGET)


def outcome(published: PublishedSources, example: Example) -> EventRequest | Ignored:
    source = load_sources(published.file)[example.sender]
    return render_delivery(source, verify_delivery(source, example.body, published.headers(example)))


def test_every_sender_and_version_is_covered() -> None:
    versions = {(e.sender, e.version) for e in EXAMPLES}
    assert {v for s, v in versions if s == "github"} == set(GITHUB_VERSIONS)
    assert {s for s, _ in versions} == {"github", "stripe", "alertmanager", "grafana"}
    assert len(EXAMPLES) == 999


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{i}-{e.label()}" for i, e in enumerate(EXAMPLES)])
def test_a_published_example_is_shown_or_ignored_never_refused(
    published: PublishedSources, example: Example, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "herald.notifier.webhooks")
    rendered = outcome(published, example)  # raises (a 4xx) if refused
    fell_back = [r.getMessage() for r in caplog.records if "shown generically" in r.getMessage()]
    match example.expected():
        case "ignored":
            assert isinstance(rendered, Ignored)
        case "generic":
            assert isinstance(rendered, EventRequest)
            assert rendered.title == f"{example.sender}: {example.kind} {example.action}".strip()
            assert "neither a repository nor an organization" in fell_back[0]
        case "shown":
            assert isinstance(rendered, EventRequest), rendered
            assert fell_back == []  # the sender's own template rendered it
            assert rendered.target.user == TARGET


def first_of_each_kind() -> list[Example]:
    seen: dict[tuple[str, str, str | None], Example] = {}
    for example in EXAMPLES:
        if example.expected() == "shown":
            seen.setdefault((example.sender, example.kind, example.action), example)
    return list(seen.values())


SAMPLES = first_of_each_kind()


@pytest.mark.parametrize("example", SAMPLES, ids=[e.label() for e in SAMPLES])
def test_a_shown_example_says_what_happened_not_just_its_event_name(
    published: PublishedSources, example: Example
) -> None:
    rendered = outcome(published, example)
    assert isinstance(rendered, EventRequest) and rendered.title is not None
    title, body = unescaped(rendered.title), unescaped(rendered.body)
    {"github": github_is_specific, "stripe": stripe_is_specific, "alertmanager": alerts_are_specific,
     "grafana": alerts_are_specific}[example.sender](example, example.payload, title, body)


def github_is_specific(example: Example, p: dict[str, Any], title: str, body: str) -> None:
    where = (p.get("repository") or {}).get("full_name") or p["organization"]["login"]
    assert title.startswith(f"[{where}] ")
    if example.kind == "pull_request":
        pr = p["pull_request"]
        assert f"PR #{pr['number']}" in title and pr["title"] in title
        assert f"[#{pr['number']} " in body and pr["html_url"] in body
    elif example.kind == "issues":
        issue = p["issue"]
        assert f"Issue #{issue['number']} {p['action']}: {issue['title']}" in title
        assert issue["html_url"] in body
    elif example.kind == "push":
        assert p["ref"].split("/", 2)[-1] in title
        for commit in p["commits"][:10]:
            assert commit["id"][:7] in body and first_line(commit["message"]) in body
    elif example.kind == "workflow_run":
        run = p["workflow_run"]
        assert run["name"] in title and run["html_url"] in body
        # Enterprise Server 3.1-3.5 send no display_title: the head commit's message stands in.
        assert (run.get("display_title") or first_line(run["head_commit"]["message"])) in body
    elif example.kind == "release":
        release = p["release"]
        assert f"Release {release['name'] or release['tag_name']} published" in title
        assert release["html_url"] in body
    else:
        assert f"] {example.kind}" in title
        assert f"`{example.kind}`" in body


def stripe_is_specific(example: Example, p: dict[str, Any], title: str, body: str) -> None:
    o = p["data"]["object"]
    if example.kind not in ("payment_intent.succeeded", "payment_intent.payment_failed", "invoice.paid",
                            "invoice.payment_failed"):  # these say it in words
        assert example.kind in title and example.kind in body
    if "id" in o:
        assert o["id"] in body
    if example.kind in ("invoice.paid", "invoice.payment_failed"):
        amount = o["amount_paid"] if example.kind == "invoice.paid" else o["amount_due"]
        assert (o["number"] or o["id"]) in title and money(amount, o["currency"]) in title
    elif isinstance(o.get("amount"), int) and isinstance(o.get("currency"), str):
        assert money(o["amount"], o["currency"]) in title


def alerts_are_specific(example: Example, p: dict[str, Any], title: str, body: str) -> None:
    if "alerts" not in p:  # Grafana's legacy alerting: one rule
        assert p["title"] == title
        assert f"{p['ruleName']}** is {p['state']}" in body and p["ruleUrl"] in body
        return
    assert p["status"].upper() in title.upper()
    for alert in p["alerts"]:
        assert alert["labels"]["alertname"] in title + body
        assert alert["status"].upper() in body.upper()


def test_enterprise_server_3_1_workflow_runs_without_display_title_are_shown(published: PublishedSources) -> None:
    # Issue #18: GitHub's own examples answered 422 ("'dict object' has no attribute 'display_title'").
    [run] = [e for e in EXAMPLES if e.version == "ghes-31" and e.kind == "workflow_run"]
    assert "display_title" not in run.payload["workflow_run"]
    rendered = outcome(published, run)
    assert isinstance(rendered, EventRequest)
    assert rendered.title == "[Codertocat/Hello-World] Manually triggered workflow finished on main"
    assert rendered.body.startswith(
        "[Manually triggered workflow #36](https://github.com/octo-org/octo-repo/actions/runs/1589141559)"
        " finished on `main` for Update milestone-created.yml (triggered by workflow_dispatch from **Codertocat**)"
    )


def test_the_vendored_examples_carry_their_licences() -> None:
    root = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "published"
    notice = (root / "NOTICE.md").read_text()
    for sender in ("github", "stripe", "alertmanager", "grafana"):
        assert f"`{sender}/`" in notice
    assert list((root / "github").glob("LICENSE")) and list((root / "stripe").glob("LICENSE-*"))
    assert json.loads((root / "grafana" / "legacy-alerting.json").read_text())["ruleName"] == "Load peaking!"
