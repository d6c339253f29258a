"""Any JSON a sender signs becomes an event or is ignored: no built-in template refuses or raises."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herald.contract.events import EventRequest
from herald.notifier.webhooks import Ignored, parse_sources, render_delivery
from herald.notifier.webhooks.builtin_templates import BUILTIN_TEMPLATES, BuiltinName
from herald.notifier.webhooks.verification import VerifiedDelivery

pytestmark = pytest.mark.unit

KEYS = st.sampled_from(["action", "repository", "organization", "full_name", "login", "pull_request", "issue",
                        "number", "title", "workflow_run", "conclusion", "commits", "ref", "alerts", "status",
                        "labels", "annotations", "data", "object", "amount", "currency", "type", "release",
                        "sender", "receiver", "groupLabels", "values", "ruleName", "evalMatches", "x"])
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
                    max_leaves=40)
EVENTS = st.sampled_from(["push", "pull_request", "issues", "workflow_run", "release", "issue_comment", "status",
                          "create", "ping", ""])


def source(template: str) -> Any:
    table = {"template": template, "default_target": "ops",
             "verification": {"scheme": "token", "header": "X", "secrets": ["t"]}}
    return parse_sources({"sources": {"s": table}})["s"]


# Every name a source may give: a new template is fuzzed here as soon as it has a name.
SOURCES = {name: source(name) for name in get_args(BuiltinName)}


def test_every_template_name_has_a_template() -> None:
    assert set(BUILTIN_TEMPLATES) == set(get_args(BuiltinName))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=st.sampled_from(sorted(SOURCES)), event=EVENTS, payload=JSON)
def test_any_signed_json_is_shown_or_ignored(template: str, event: str, payload: Any) -> None:
    headers = {"x-github-event": event} if event else {}
    outcome = render_delivery(SOURCES[template], VerifiedDelivery("s", "d", json.dumps(payload).encode(), headers))
    assert isinstance(outcome, EventRequest | Ignored)
