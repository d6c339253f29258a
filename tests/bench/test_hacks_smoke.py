"""`python -m bench.hacks` keeps working: each comparison, at tiny sizes, measures every way it names
with a positive headline figure and no failed request or broadcast. Never a verdict: that needs the
full sizes. (That the switch turns the thresholds off is tests/unit/test_gc_thresholds.py's.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import publish_ab, replica_ab, step_ab
from tests.support.harness_runs import run_harness

pytestmark = pytest.mark.bench_smoke

SIZES = {
    "step": ["--events", "50", "--rounds", "2"],
    "publish": ["--seconds", "0.3", "--rounds", "2", "--in-flight", "4"],
    "replica": ["--sessions", "5", "--broadcasts", "1", "--rounds", "1"],
    "notifier": ["--seconds", "1", "--rounds", "2"],
}
WAYS = {"step": step_ab.WAYS, "publish": publish_ab.WAYS, "replica": tuple(replica_ab.VARIANTS),
        "notifier": ("all", "without gc_thresholds")}


@pytest.mark.parametrize("what", list(SIZES))
def test_each_comparison_measures_every_way(tmp_path: Path, what: str) -> None:
    run_harness("bench.hacks", what, *SIZES[what], "--out", str(tmp_path))
    results = json.loads((tmp_path / f"hacks-{what}.json").read_text())
    for way in WAYS[what]:
        stretches = results[way]
        assert stretches, f"{way}: no stretch measured"
        for stretch in stretches:
            figures = [value for value in stretch.values() if isinstance(value, int | float)]
            # The first is the headline (a rate, a time, KiB a tab); a CPU time may round to 0 at these sizes.
            assert figures[0] > 0 and all(value >= 0 for value in figures), f"{way}: {stretch}"
            assert not stretch.get("non_202") and not stretch.get("incomplete") and not stretch.get("not_taken_up"), (
                f"{way}: {stretch}")
