"""The benchmark harness measures a figure and its ceiling in turns, and adds each load's turns up."""

from __future__ import annotations

import pytest

from bench.turns import Load, Stretch, added_up, in_turns, turn_order

pytestmark = pytest.mark.unit


def test_every_other_round_runs_the_loads_backwards() -> None:
    assert turn_order(["ceiling", "figure"], 3) == ["ceiling", "figure", "figure", "ceiling", "ceiling", "figure"]
    assert turn_order(["a", "b", "c"], 2) == ["a", "b", "c", "c", "b", "a"]


def test_each_load_is_warmed_up_once_and_then_runs_in_turns() -> None:
    calls: list[tuple[str, float]] = []

    def load(name: str, per_second: float) -> Load:
        def stretch(seconds: float) -> Stretch:
            calls.append((name, seconds))
            return Stretch(per_second * seconds, seconds)
        return stretch

    measured = in_turns({"ceiling": load("ceiling", 1000), "figure": load("figure", 400)},
                        warmup_seconds=1, rounds=2, round_seconds=2)

    assert calls == [("ceiling", 1), ("figure", 1), ("ceiling", 2), ("figure", 2), ("figure", 2), ("ceiling", 2)]
    assert measured["ceiling"].rate == 1000 and measured["figure"].rate == 400
    assert measured["figure"].details["seconds"] == 4  # the warm-up is not counted


def test_a_load_adds_its_stretches_up_and_keeps_each_one() -> None:
    fast = Stretch(3000, 1.0, {"server": 0.9, "broker": 0.5}, {"requests": 3000, "non_202": 1},
                   {"latency_ms": {"p50": 4.0}})
    slow = Stretch(1000, 2.0, {"server": 1.5, "broker": 0.7}, {"requests": 1000, "non_202": 2},
                   {"latency_ms": {"p50": 9.0}})

    measured = added_up([fast, slow], {"users": 100})

    assert measured.rate == pytest.approx(4000 / 3)  # all it counted over all its seconds, not a mean of rates
    details = measured.details
    assert details["users"] == 100 and details["requests"] == 4000 and details["non_202"] == 3
    assert details["cpu_percent_of_one_core"] == {"server": 80, "broker": 40}
    assert details["rounds"] == [{"rate": 3000, "seconds": 1.0, "latency_ms": {"p50": 4.0}},
                                 {"rate": 500, "seconds": 2.0, "latency_ms": {"p50": 9.0}}]
