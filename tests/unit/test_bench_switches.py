"""The benchmark's switches (shared/bench_switches.py) turn off only what they name, and a misspelt one
stops the service rather than measuring the optimised code under the wrong label. (What each switch
turns off is tested where it is read: tests/unit/test_gc_thresholds.py.)"""

from __future__ import annotations

import pytest

from herald.contract.bench_switches import WITHOUT_VARIABLE, turned_off

pytestmark = pytest.mark.unit


def test_nothing_is_turned_off_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WITHOUT_VARIABLE, raising=False)
    assert turned_off() == frozenset()
    monkeypatch.setenv(WITHOUT_VARIABLE, " gc_thresholds ,")
    assert turned_off() == {"gc_thresholds"}


def test_an_unknown_name_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WITHOUT_VARIABLE, "lean_queues")
    with pytest.raises(SystemExit, match="lean_queues"):
        turned_off()

