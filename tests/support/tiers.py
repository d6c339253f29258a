"""A pytest plugin: every test belongs to exactly one tier, so that `-m unit` (or any tier) leaves none out
silently. Collection fails for a test without a tier marker, or with two."""

from __future__ import annotations

import pytest

TIERS = ("unit", "integration", "e2e", "faults", "bench_smoke")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wrong = []
    for item in items:
        tiers = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
        if len(tiers) != 1:
            wrong.append(f"{item.nodeid}: {', '.join(sorted(tiers)) or 'no tier'}")
    if wrong:
        raise pytest.UsageError(f"each test needs exactly one tier marker of {', '.join(TIERS)}:\n" + "\n".join(wrong))
