"""Routes reach the notifier's dependencies through `notifier_deps` (typed), never through `app.state` (Any)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import herald.notifier

pytestmark = pytest.mark.unit

NOTIFIER = Path(herald.notifier.__file__).parent
STATE = re.compile(r"\.state\.(?!event_id\b)")  # request.state.event_id is the request's own, for the logs


def test_only_deps_reads_app_state_and_only_the_lifespan_writes_it() -> None:
    uses = {str(path.relative_to(NOTIFIER)): [line.strip() for line in path.read_text().splitlines()
                                              if STATE.search(line) and not line.lstrip().startswith("#")]
            for path in sorted(NOTIFIER.rglob("*.py"))}
    assert {module: lines for module, lines in uses.items() if lines and module != "deps.py"} == {
        "app.py": ["app.state.deps = NotifierDeps(settings, keyring, webhook_sources, rate_limits, answers,"]}
    assert uses["deps.py"] == ["deps: NotifierDeps = request.app.state.deps"]
