"""The PNG: throughput beside its ceilings, and the latency distributions of figures 3 and 4."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {figure["key"]: figure for figure in results["figures"]}
    samples = results["samples"]
    fig, (rates, latency, fanout) = plt.subplots(1, 3, figsize=(17, 5))
    fig.suptitle(f"Herald benchmarks ({results['mode']} run, {results['started_at'][:16]}Z, "
                 f"{results['machine']['nproc']} cores)")

    keys = ["1", "2", "6"]
    positions = range(len(keys))
    rates.bar([x - 0.2 for x in positions], [figures[k]["value"] for k in keys], 0.4, label="Herald")
    rates.bar([x + 0.2 for x in positions], [figures[k]["ceiling"]["value"] for k in keys], 0.4, label="ceiling")
    rates.set_xticks(list(positions), [f"#{k} ({figures[k]['unit']})\n{figures[k]['ratio']:.2f}x" for k in keys])
    rates.set_title("Throughput beside its ceiling")
    rates.legend()

    for name, values in samples["latency_ms"].items():
        ordered = sorted(values)
        if ordered:
            latency.plot(ordered, [(n + 1) / len(ordered) for n in range(len(ordered))], label=name)
    latency.axvline(25, color="grey", linestyle=":", label="p99 target 25 ms")
    latency.set_xscale("log")
    latency.set_xlabel("ms from publish to new_message")
    latency.set_ylabel("fraction of events")
    latency.set_title("#3 end-to-end latency (CDF)")
    latency.legend()

    fanout.hist(samples["broadcast_ms"]["every_session"], bins=60, alpha=0.6, label="each session")
    for last in samples["broadcast_ms"]["last_session"]:
        fanout.axvline(last, color="tab:red", alpha=0.3)
    fanout.axvline(500, color="grey", linestyle=":", label="target 500 ms")
    fanout.set_xlabel("ms from POST to new_message (red: last session of each broadcast)")
    fanout.set_title(f"#4 broadcast to {figures['4']['details']['sessions']:,} sessions")
    fanout.legend()

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
