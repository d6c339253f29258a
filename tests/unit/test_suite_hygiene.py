"""The suite's own rules, checked on a throwaway suite run by a pytest of its own: a test without a tier
marker stops the collection, and a process or scratch directory left behind fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import leftovers

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONFTEST = 'pytest_plugins = ["tests.support.tiers", "tests.support.leftovers"]\n'


def _pytest(suite: Path, test: str) -> subprocess.CompletedProcess[str]:
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_it.py").write_text(test)
    (suite / "pytest.ini").write_text("[pytest]\nmarkers =\n    unit: u\n    e2e: e\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HERALD_SCRATCH_DIR", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)], cwd=suite,
                          env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_test_without_a_tier_marker_stops_the_collection(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "def test_untiered():\n    pass\n")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "test_it.py::test_untiered: no tier" in result.stderr


def test_a_test_with_two_tiers_stops_the_collection(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "import pytest\npytestmark = [pytest.mark.unit, pytest.mark.e2e]\n"
                               "def test_both():\n    pass\n")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "test_both: e2e, unit" in result.stderr


def test_a_process_and_a_scratch_directory_left_behind_fail_the_run(tmp_path: Path) -> None:
    result = _pytest(tmp_path, """
import os, pathlib, subprocess, pytest
pytestmark = pytest.mark.unit
KEPT = []
def test_leaves_things_behind():
    KEPT.append(subprocess.Popen(["sleep", "60"]))
    (pathlib.Path(os.environ["HERALD_SCRATCH_DIR"]) / "herald-forgotten").mkdir()
    print("pid", KEPT[0].pid)
""")
    try:
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "1 passed" in result.stdout  # the test itself passed: the run fails on what it left
        assert "herald-forgotten" in result.stdout
        assert " sleep" in result.stdout
    finally:
        subprocess.run(["pkill", "-f", "sleep 60"], check=False)
        for scratch in Path(tempfile.gettempdir()).glob("herald-test-run-*/herald-forgotten"):
            scratch.rmdir()
            scratch.parent.rmdir()


def test_a_clean_run_passes(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "import pytest\npytestmark = pytest.mark.unit\ndef test_clean():\n    pass\n")
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "left behind" not in result.stdout


def test_the_scratch_of_a_run_that_died_is_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    left = tmp_path / f"{leftovers.SCRATCH_PREFIX}{dead}-abc"
    (left / "herald-rabbitmq-x").mkdir(parents=True)
    ours = tmp_path / f"{leftovers.SCRATCH_PREFIX}{os.getpid()}-def"
    ours.mkdir()
    unnamed = tmp_path / f"{leftovers.SCRATCH_PREFIX}xyz"  # an older run's, without a pid: left alone
    unnamed.mkdir()
    assert leftovers.remove_scratch_of_dead_runs(tmp_path) == [left]
    assert not left.exists() and ours.exists() and unnamed.exists()
