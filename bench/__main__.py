"""`python -m bench` runs the full benchmarks (at most 5 minutes); `python -m bench --smoke` a smoke run
(seconds) that checks the harness works, not the targets. See docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
from pathlib import Path

from bench.plan import FULL, SMOKE, adjusted
from bench.plot import plot
from bench.report import problems, table
from bench.run import run
from bench.wrk import WrkMissing
from herald.contract.gc_thresholds import use_serving_thresholds

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny loads, to check the harness (seconds)")
    parser.add_argument("--workers", type=int, help="uvicorn workers of the notifier and its ceiling (default 1)")
    parser.add_argument("--latency-rate", type=float, help="events/s of figure 3 (default 500)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where the JSON and PNG go (default {RESULTS})")
    args = parser.parse_args(argv)
    # Stopped from outside (a CI timeout), still stop every process the run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # The clients of figures 3-5 live in this process: its own collector pauses would count as Herald's.
    use_serving_thresholds()
    plan = adjusted(SMOKE if args.smoke else FULL, args.workers, args.latency_rate)
    command = shlex.join(["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])])
    try:
        results = run(plan, command)
    except WrkMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out / "latest.png")
    print(table(results["figures"]))
    print(f"\n{plan.name} run in {results['seconds']:.0f} s; results in {args.out / 'latest.json'}, "
          f"plot in {args.out / 'latest.png'}")
    probes = [results["conditions"][when]["speed_probe_ms"] for when in ("at_start", "at_end")]
    print(f"speed probe (fixed pure-Python work; compare between runs, lower is faster): {probes[0]} ms at the "
          f"start, {probes[1]} ms at the end")
    creates = [results["conditions"][when]["file_create_probe_us"] for when in ("at_start", "at_end")]
    print(f"file creation probe (where the broker keeps its data; #6 hangs on it): {creates[0]} µs a file at the "
          f"start, {creates[1]} µs at the end")
    if found := problems(results):
        print("bench: the results are incomplete:\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
