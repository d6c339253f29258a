"""Rendering rules shared by every template: targets, overrides, sandbox errors and limits."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from herald.contract.events import MAX_BODY_BYTES, EventRequest, Severity
from herald.notifier.webhooks import (
    RenderError,
    SourceConfig,
    UnparsableBody,
    VerifiedDelivery,
    load_sources,
    render_delivery,
    verify_delivery,
)
from herald.notifier.webhooks import templates as templates_module
from herald.notifier.webhooks.targets import resolve_target

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]
EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "sources.toml"
PAYLOAD = {"who": "octocat", "n": 3, "text": "hello", "nested": {"deep": "yes"}}


def delivered(
    source: SourceConfig,
    payload: Any = PAYLOAD,
    headers: dict[str, str] | None = None,
    delivery_id: str | None = "d-1",
) -> VerifiedDelivery:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return VerifiedDelivery(source.name, delivery_id, body, headers or {})


def event(
    source: SourceConfig, payload: Any = PAYLOAD, headers: dict[str, str] | None = None
) -> EventRequest:
    outcome = render_delivery(source, delivered(source, payload, headers))
    assert isinstance(outcome, EventRequest), outcome
    return outcome


def custom(make_source: MakeSource, **table: Any) -> SourceConfig:
    message = {"title": "{{ payload.text }}", "body": "n={{ payload.n }}"} | table.pop("message", {})
    table.setdefault("identity", "{{ payload.who }}")
    return make_source(message=message, **table)


def test_an_identity_in_the_targets_goes_to_its_target(make_source: MakeSource) -> None:
    rendered = event(custom(make_source, targets={"octocat": "alice"}, default_target="ops"))
    assert rendered.target.user == "alice"


def test_an_unmapped_identity_goes_to_the_default_target(make_source: MakeSource) -> None:
    assert event(custom(make_source, targets={"hubot": "bob"}, default_target="ops")).target.user == "ops"


def test_an_unmapped_identity_without_default_is_unprocessable(make_source: MakeSource) -> None:
    source = custom(make_source, targets={"hubot": "bob"})
    with pytest.raises(RenderError, match="sender 'octocat' is not in the targets, and source 'test' has no"):
        render_delivery(source, delivered(source))


def test_a_missing_identity_falls_back_like_an_unmapped_one(make_source: MakeSource) -> None:
    with_default = custom(make_source, identity="{{ payload.sender.login }}", default_target="ops")
    assert event(with_default).target.user == "ops"
    without = custom(make_source, identity="{{ payload.sender.login }}")
    with pytest.raises(RenderError, match="no sender identity in the payload, and source 'test' has no"):
        render_delivery(without, delivered(without))


def test_group_and_broadcast_targets_pass_through_to_the_contract(
    make_source: MakeSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = custom(make_source, targets={"octocat": {"group": "bots"}}, default_target={"broadcast": True})
    assert resolve_target(source, "octocat") == {"group": "bots"}
    assert resolve_target(source, "someone-else") == {"broadcast": True}

    seen: list[dict[str, Any]] = []

    class RecordingRequest:
        @staticmethod
        def model_validate(fields: dict[str, Any]) -> dict[str, Any]:
            seen.append(fields)
            return fields

    # Whatever target kinds the contract knows, the dict reaches EventRequest.model_validate untouched.
    monkeypatch.setattr(templates_module, "EventRequest", RecordingRequest)
    render_delivery(source, delivered(source))
    assert seen[0]["target"] == {"group": "bots"}


def test_the_example_custom_message_overrides_the_built_in() -> None:
    deploys = load_sources(EXAMPLE)["deploys"]
    payload = json.loads((EXAMPLE.parent / "generic" / "deploy.json").read_bytes())
    rendered = event(deploys, payload)
    assert rendered.title == "Deploy of checkout 2024.05.14-3"
    assert rendered.body == "checkout reached **production** in 143 s"
    assert rendered.severity == Severity.SUCCESS
    assert rendered.target.user == "bob"


def test_overriding_one_field_keeps_the_others(make_source: MakeSource) -> None:
    github = make_source(template="github", default_target="ops", message={"title": "{{ source }} push"})
    payload = json.loads((EXAMPLE.parent / "github" / "push.json").read_bytes())
    rendered = event(github, payload, {"x-github-event": "push"})
    assert rendered.title == "test push"
    assert rendered.body.startswith("**alice-dev** pushed to `main`")


def test_templates_can_read_lowercased_headers(make_source: MakeSource) -> None:
    source = custom(make_source, message={"title": "{{ headers['x-event'] }}"}, default_target="ops")
    assert event(source, headers={"x-event": "deploy"}).title == "deploy"


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe{}", b""])
def test_a_body_that_is_not_json_is_unparsable(make_source: MakeSource, body: bytes) -> None:
    source = make_source(default_target="ops")
    with pytest.raises(UnparsableBody, match="the body is not valid JSON"):
        render_delivery(source, delivered(source, body))


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            {"body": "{{ payload.missing }}"},  # a missing field prints as nothing, so the body is empty
            "the rendered event is invalid: body: String should have at least 1 character",
        ),
        (
            {"body": "{{ payload.nested.update(x=1) }}"},
            "the body template failed: access to attribute 'update' of 'dict' object is unsafe.",
        ),
        ({"severity": "urgent"}, "the rendered event is invalid: severity: Input should be"),
        ({"title": "{% for x in range(100000000) %}{% endfor %}"}, "the title template failed: Range too big"),
    ],
)
def test_a_template_that_fails_shows_the_delivery_generically_and_says_why(
    make_source: MakeSource, message: dict[str, str], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    source = custom(make_source, message=message, targets={"octocat": "alice"})
    rendered = event(source)
    assert rendered.title == "test: delivery"
    assert rendered.body.startswith("`delivery` from test, shown as received:\n\n```json\n{\n  \"who\": \"octocat\",")
    assert rendered.severity == Severity.INFO
    assert rendered.target.user == "alice"  # the identity still chose the target
    [record] = [r for r in caplog.records if r.name == "herald.notifier.webhooks"]
    assert record.getMessage().startswith(f"webhook test: delivery d-1: the generic template failed ({reason}")
    assert record.getMessage().endswith("; shown generically")


def test_a_template_cannot_reach_outside_the_payload(make_source: MakeSource) -> None:
    message = {"title": "{{ payload.__class__ }}", "body": "{{ payload.__class__.__mro__ }}x"}
    source = custom(make_source, message=message, default_target="ops")
    rendered = event(source)
    assert (rendered.title, rendered.body) == (None, "x")


def test_a_sender_without_a_target_is_still_refused(make_source: MakeSource) -> None:
    # The one thing the operator must fix: no template fallback can choose a target.
    source = custom(make_source, message={"body": "{{ payload.missing }}"}, targets={"hubot": "bob"})
    with pytest.raises(RenderError, match="sender 'octocat' is not in the targets"):
        render_delivery(source, delivered(source))


def test_overlong_output_is_cut_to_the_contract_limits(make_source: MakeSource) -> None:
    source = custom(
        make_source, message={"title": "{{ 'T' * 300 }}", "body": "{{ 'é' * 20000 }}"}, default_target="o"
    )
    rendered = event(source)
    assert rendered.title is not None and len(rendered.title) == 256 and rendered.title.endswith("…")
    assert len(rendered.body.encode()) <= MAX_BODY_BYTES
    assert rendered.body.endswith("… (truncated)")


def test_the_event_id_follows_the_delivery(make_source: MakeSource) -> None:
    source = custom(make_source, default_target="ops")
    first = render_delivery(source, delivered(source, delivery_id="d-1"))
    again = render_delivery(source, delivered(source, delivery_id="d-1"))
    other = render_delivery(source, delivered(source, delivery_id="d-2"))
    unnamed = render_delivery(source, delivered(source, delivery_id=None))
    assert isinstance(first, EventRequest) and isinstance(again, EventRequest)
    assert isinstance(other, EventRequest) and isinstance(unnamed, EventRequest)
    assert first.id == again.id != other.id
    assert first.id is not None and first.id.startswith("wh_")
    assert unnamed.id is None


def test_a_signed_github_push_goes_from_bytes_to_event(make_source: MakeSource) -> None:
    github = make_source(
        "github", template="github", verification={"scheme": "github", "secrets": ["s"]}, default_target="ops"
    )
    body = (EXAMPLE.parent / "github" / "push.json").read_bytes()
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "a1b2c3d4-0000-11ef-8000-000000000001",
        "X-Hub-Signature-256": "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest(),
    }
    rendered = render_delivery(github, verify_delivery(github, body, headers))
    assert isinstance(rendered, EventRequest)
    assert rendered.title == "[acme/herald] 2 new commits pushed to main"
