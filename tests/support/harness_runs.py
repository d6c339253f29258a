"""Running the benchmark harness (`python -m bench ...`) from a test, bounded, as a user would."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import ROOT


def run_harness(*args: str, timeout: float = 240) -> str:
    """Run `python -m <args>` from the checkout and return what it printed; fail with its output unless it
    exits 0. On a timeout it is terminated, and the harness then stops the broker and services it started."""
    with subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as run:
        try:
            stdout, stderr = run.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.terminate()
            stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, f"{stdout}\n{stderr}"
    return stdout
