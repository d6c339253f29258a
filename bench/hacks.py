"""`python -m bench.hacks {replica,notifier,publish,step}`: what each of Herald's internals-dependent
optimisations buys against the plain library call, measured in turns in one run (docs/benchmarks.md,
"What the optimisations buy"). Bounded: minutes, not tens of minutes, at the defaults."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import uvloop

from bench import notifier_ab, publish_ab, replica_ab, step_ab
from herald.contract.gc_thresholds import use_serving_thresholds
from scripts.rabbitmq_node import private_node

RESULTS = Path(__file__).parent / "results"


def _ranges(results: dict[str, list[dict[str, float]]]) -> str:
    lines = []
    for way, stretches in results.items():
        for key in stretches[0]:
            values = [stretch[key] for stretch in stretches]
            lines.append(f"{way:22} {key:26} median {statistics.median(values):10.1f} "
                         f"(range {min(values):g}-{max(values):g}, {len(values)} stretches)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hacks", description=__doc__)
    parser.add_argument("what", choices=("replica", "notifier", "publish", "step"))
    parser.add_argument("--rounds", type=int, default=2, help="turns of every variant (default 2)")
    parser.add_argument("--sessions", type=int, default=1000, help="replica: tabs per replica (default 1000)")
    parser.add_argument("--broadcasts", type=int, default=20, help="replica: broadcasts per replica (default 20)")
    parser.add_argument("--variants", default=",".join(replica_ab.VARIANTS),
                        help=f"replica: which, comma-separated (default all: {', '.join(replica_ab.VARIANTS)})")
    parser.add_argument("--baseline", type=Path, help="replica: also run this checkout's chat, in turns")
    parser.add_argument("--seconds", type=float, default=2, help="publish, notifier: seconds per stretch (default 2)")
    parser.add_argument("--in-flight", type=int, default=32, help="publish: publishes awaiting confirms (default 32)")
    parser.add_argument("--events", type=int, default=500, help="step: events per stretch (default 500)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where the JSON goes (default {RESULTS})")
    args = parser.parse_args(argv)
    results: dict[str, Any]
    if args.what == "replica":
        names = args.variants.split(",")
        if unknown := set(names) - set(replica_ab.VARIANTS):
            parser.error(f"no such variant: {sorted(unknown)}")
        if args.baseline:
            names.append(replica_ab.BASELINE)
        use_serving_thresholds()  # the clients live in this process, as in `python -m bench`
        results = replica_ab.measure(names, args.sessions, args.broadcasts, args.rounds, args.baseline)
        text = replica_ab.summary(results)
    elif args.what == "notifier":
        results = notifier_ab.measure(args.rounds, args.seconds)
        text = _ranges(results)
    elif args.what == "publish":
        with private_node() as node:
            results = uvloop.run(publish_ab.measure(node.url, args.seconds, args.rounds, args.in_flight))
        text = _ranges(results)
    else:
        results = uvloop.run(step_ab.measure(args.events, args.rounds))
        text = _ranges(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"hacks-{args.what}.json").write_text(json.dumps({"argv": sys.argv, **results}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
