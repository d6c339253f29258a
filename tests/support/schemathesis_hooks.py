"""Hooks for the schemathesis run of tests/e2e/test_openapi_conformance.py (loaded through SCHEMATHESIS_HOOKS).

The run shares the test session's broker with the other tests. A persisted broadcast would wait in every
inbox, alice's and bob's too, and show up in later tests' tabs; so generated events never persist a
broadcast. Everything else is generated as the OpenAPI document allows.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    events = body.get("events") if isinstance(body, dict) else None
    for event in (events if isinstance(events, list) else [body]):
        target = event.get("target") if isinstance(event, dict) else None
        if isinstance(target, dict) and target.get("persist") is True:
            target["persist"] = False
    return body
