"""What the collector thresholds (shared/gc_thresholds.py) buy the notifier, against CPython's defaults:
figure #1's load (single events, 32 connections) on two notifiers at once, one with the thresholds and
one without, in turns (bench/turns.py). The figures: requests per second, and each notifier's CPU per
request, which the thresholds were meant to lower.

    python -m bench.hacks notifier --rounds 4
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import uvloop

from bench import stack
from bench.broker_ops import bench_users, declare_inboxes
from bench.plan import FULL
from bench.throughput import SINGLE, wrk_load
from bench.turns import turn_order
from bench.wrk import require_wrk
from scripts.rabbitmq_node import private_node

VARIANTS: dict[str, tuple[str, ...]] = {"all": (), "without gc_thresholds": ("gc_thresholds",)}


def measure(rounds: int, round_seconds: float) -> dict[str, list[dict[str, Any]]]:
    require_wrk()
    plan = FULL
    with tempfile.TemporaryDirectory(prefix="herald-bench-notifier-") as scratch, private_node() as node:
        bench = stack.Stack.create(Path(scratch), node.url, node.process.pid)
        users = bench_users("bench-single-", plan.users)
        uvloop.run(declare_inboxes(bench.amqp_url, users))
        with stack.notifier(bench, 1, "notifier-all") as with_them, \
                stack.notifier(bench, 1, "notifier-without", without=VARIANTS["without gc_thresholds"]) as plain:
            loads = {name: wrk_load(bench, server, SINGLE, users=plan.users, prefix="bench-single-",
                                    connections=plan.connections)
                     for name, server in (("all", with_them), ("without gc_thresholds", plain))}
            for load in loads.values():
                load(plan.warmup_seconds)  # connections, caches and the broker's queues settle; not counted
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in loads}
            for name in turn_order(list(loads), rounds):
                stretch = loads[name](round_seconds)
                results[name].append({
                    "requests_per_second": round(stretch.counted / stretch.seconds),
                    "server_cpu_us_per_request": round(stretch.cpu_seconds["server"] / stretch.counted * 1e6, 1),
                    "non_202": stretch.totals["non_202"]})
                print(f"{name}: {results[name][-1]}", flush=True)
    return results
