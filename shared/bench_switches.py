"""Which of Herald's internals-dependent optimisations a benchmark run turns off, to measure what each
buys against the plain library call in the same run (`python -m bench.hacks`, docs/benchmarks.md).

Read from `HERALD_BENCH_WITHOUT` (comma-separated names of `HACKS`) where each optimisation is switched
on: `use_serving_thresholds`, in both services. It is not a setting: nothing documents it for
deployments, and the benchmark harness is its only writer. (The lean queues had switches here too
until they were measured and removed: see docs/benchmarks.md, "What the optimisations buy".)
"""

from __future__ import annotations

import os

WITHOUT_VARIABLE = "HERALD_BENCH_WITHOUT"
HACKS = frozenset({"gc_thresholds"})


def turned_off() -> frozenset[str]:
    named = frozenset(name.strip() for name in os.environ.get(WITHOUT_VARIABLE, "").split(",") if name.strip())
    if unknown := named - HACKS:
        raise SystemExit(f"{WITHOUT_VARIABLE} names no such optimisation: {sorted(unknown)} (known: {sorted(HACKS)})")
    return named
