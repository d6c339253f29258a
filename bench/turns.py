"""A figure and its ceiling measured in turns, so that both see the same machine.

This VM's speed moves within seconds and drifts over minutes: the empty endpoint served 4,400 to 8,400
req/s in 2 s stretches a few seconds apart, and a fixed piece of pure-Python work took 15.3 ms at the
start of a run and 9.0 ms at its end. A figure measured a minute after its ceiling compares two
different machines. So each load is warmed up once, and then the loads take turns for a few short
rounds, the order reversed every other round (A B, B A, A B): a slow stretch or a steady drift falls on
both alike. A load's figure adds its rounds up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stretch:
    """One timed stretch of one load."""

    counted: float  # what the figure counts: accepted requests, or events
    seconds: float
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by process
    totals: dict[str, int] = field(default_factory=dict)  # counters that add up: requests, failures, ...
    details: dict[str, Any] = field(default_factory=dict)  # this stretch's own, e.g. its latency


@dataclass(frozen=True)
class Measured:
    rate: float  # requests or events per second, as the figure counts
    details: dict[str, Any]


Load = Callable[[float], Stretch]  # run for about this many seconds


def in_turns(loads: dict[str, Load], warmup_seconds: float, rounds: int, round_seconds: float,
             about: dict[str, dict[str, Any]] | None = None) -> dict[str, Measured]:
    """Warm each load up, then run them in turns; `about` adds fixed facts to a load's details."""
    if warmup_seconds:
        for load in loads.values():
            load(warmup_seconds)  # connections, caches and the broker's queues settle; not counted
    stretches: dict[str, list[Stretch]] = {name: [] for name in loads}
    for name in turn_order(list(loads), rounds):
        stretches[name].append(loads[name](round_seconds))
    return {name: added_up(taken, (about or {}).get(name, {})) for name, taken in stretches.items()}


def turn_order(names: list[str], rounds: int) -> list[str]:
    """A B, B A, A B, ...: every other round backwards, so a steady drift favours no load."""
    order: list[str] = []
    for turn in range(rounds):
        order += names if turn % 2 == 0 else names[::-1]
    return order


def added_up(stretches: list[Stretch], about: dict[str, Any]) -> Measured:
    seconds = sum(stretch.seconds for stretch in stretches)
    totals: dict[str, int] = {}
    cpu: dict[str, float] = {}
    for stretch in stretches:
        for name, value in stretch.totals.items():
            totals[name] = totals.get(name, 0) + value
        for name, used in stretch.cpu_seconds.items():
            cpu[name] = cpu.get(name, 0.0) + used
    rate = sum(stretch.counted for stretch in stretches) / seconds
    rounds = [{"rate": round(stretch.counted / stretch.seconds, 1), "seconds": round(stretch.seconds, 3),
               **stretch.details} for stretch in stretches]
    return Measured(rate, {**about, **totals, "seconds": round(seconds, 3), "rate": round(rate, 1),
                           "cpu_percent_of_one_core": {name: round(100 * used / seconds) for name, used in cpu.items()},
                           "rounds": rounds})
