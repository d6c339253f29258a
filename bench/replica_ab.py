"""What the collector thresholds (shared/gc_thresholds.py, `gc_thresholds`) buy a chat replica against
CPython's defaults, measured in turns on fresh replicas: the broadcast to every tab (figure #4: the
last tab's time, and the replica's CPU for the broadcasts), and the memory per idle tab (#5). (The lean
queues were measured here too, and removed: docs/benchmarks.md, "What the optimisations buy".)

    python -m bench.hacks replica --sessions 1000 --broadcasts 20 --rounds 2
    python -m bench.hacks replica --variants all --baseline /path/to/a/checkout/of/main   # before/after

One private node and one notifier; per stretch a fresh replica, with everything (`all`) or without the
named optimisations, running figure #4/#5's load (bench/fanout.py). The variants take turns, every
other round backwards (bench/turns.py), so a drift of this shared VM falls on all of them alike.
"""

from __future__ import annotations

import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

import uvloop

from bench import stack
from bench.fanout import fanout
from bench.report import percentile
from bench.turns import turn_order
from scripts.rabbitmq_node import private_node

# A variant: the optimisations its replica runs without.
VARIANTS: dict[str, tuple[str, ...]] = {
    "all": (),
    "without gc_thresholds": ("gc_thresholds",),
}


BASELINE = "baseline"  # the chat of another checkout (--baseline), with everything


def measure(names: list[str], sessions: int, broadcasts: int, rounds: int,
            baseline: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    stretches: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="herald-bench-hacks-") as scratch, private_node() as node:
        bench = stack.Stack.create(Path(scratch), node.url, node.process.pid)
        with stack.notifier(bench, 1) as notifier:
            for number, name in enumerate(turn_order(names, rounds)):
                tag = uuid.uuid4().hex[:6]
                with stack.chat(bench, f"chat-{number}", without=VARIANTS.get(name, ()),
                                code=baseline if name == BASELINE else None) as replica:
                    run = uvloop.run(fanout(replica.url, replica.process.pid, notifier.url, bench.api_key,
                                            bench.amqp_url, sessions=sessions, broadcasts=broadcasts, tag=tag))
                stretch = {
                    "kib_per_tab": round(run.bytes_per_session / 1024, 2),
                    "last_tab_ms": {"p50": round(percentile(run.last_ms, 50), 1), "max": round(max(run.last_ms), 1)},
                    "chat_cpu_s_broadcasting": run.cpu["broadcasting"]["chat"],
                    "chat_cpu_s_connecting": run.cpu["connecting"]["chat"],
                    "incomplete": run.incomplete, "not_taken_up": run.not_taken_up,
                }
                stretches[name].append(stretch)
                print(f"{name}: {stretch}", flush=True)
    return stretches


def summary(stretches: dict[str, list[dict[str, Any]]]) -> str:
    """Each variant's median and range, and its median against `all`'s."""
    def figures(name: str) -> dict[str, list[float]]:
        taken = stretches[name]
        return {"KiB per tab (#5)": [s["kib_per_tab"] for s in taken],
                "last tab p50 ms (#4)": [s["last_tab_ms"]["p50"] for s in taken],
                "last tab max ms (#4)": [s["last_tab_ms"]["max"] for s in taken],
                "chat CPU s, broadcasts": [s["chat_cpu_s_broadcasting"] for s in taken]}
    base = {key: statistics.median(values) for key, values in figures("all").items()} if "all" in stretches else {}
    lines = []
    for name in stretches:
        for key, values in figures(name).items():
            median = statistics.median(values)
            against = f", {median / base[key]:.3f}x all's" if base.get(key) else ""
            spread = f"range {min(values):.2f}-{max(values):.2f}"
            lines.append(f"{name:26} {key:24} median {median:9.2f} ({spread}){against}")
    return "\n".join(lines)
