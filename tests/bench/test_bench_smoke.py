"""The benchmark harness keeps working: a smoke run (tiny loads, seconds) writes a complete results file.

Only completeness and sanity are checked here, never the targets: those need the full run on a quiet machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.plan import SMOKE
from bench.report import EXPECTED, problems
from tests.support.harness_runs import run_harness

pytestmark = pytest.mark.bench_smoke


def test_a_smoke_run_measures_every_figure_beside_its_ceiling(tmp_path: Path) -> None:
    stdout = run_harness("bench", "--smoke", "--out", str(tmp_path))

    results = json.loads((tmp_path / "latest.json").read_text())
    assert problems(results) == []
    assert results["mode"] == "smoke" and results["machine"]["nproc"]
    assert all(results["conditions"][when]["speed_probe_ms"] > 0 for when in ("at_start", "at_end"))
    assert all(results["conditions"][when]["file_create_probe_us"] > 0 for when in ("at_start", "at_end"))
    figures = {figure["key"]: figure for figure in results["figures"]}
    assert set(figures) == set(EXPECTED)
    for key, has_ceiling in EXPECTED.items():
        assert (figures[key]["ratio"] is not None) == has_ceiling, figures[key]
        assert figures[key]["target"] is not None or key == "3.p95"
    assert all(results["samples"]["latency_ms"].values())
    for key, rounds in (("1", SMOKE.rounds), ("3.p50", SMOKE.latency_rounds), ("6", SMOKE.rounds)):
        # each measured in turns with its ceiling, round by round
        assert len(figures[key]["details"]["rounds"]) == len(figures[key]["ceiling"]["details"]["rounds"]) == rounds
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG")
    assert "| 1 | Single-event POST /v1/events" in stdout
