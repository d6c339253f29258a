"""From measurements to the issue's figures, each with its ceiling and target."""

from __future__ import annotations

from typing import Any

from bench.fanout import FanoutRun
from bench.latency import LatencyRun
from bench.report import Ceiling, Figure, Target, percentile
from bench.turns import Measured


def _failures(details: dict[str, Any], *checks: tuple[bool, str]) -> dict[str, Any]:
    failed = [what for bad, what in checks if bad]
    return {**details, "failures": "; ".join(failed)} if failed else details


def _http(measured: Measured) -> dict[str, Any]:
    details = measured.details
    return _failures(details, (details["socket_errors"] > 0, f"{details['socket_errors']} socket errors"),
                     (details["non_202"] > 0, f"{details['non_202']} requests not answered 202"))


def throughput_figures(empty: Measured, single: Measured, raw: Measured, batch: Measured, few: Measured,
                       many: Measured) -> list[Figure]:
    return [
        Figure("1", "Single-event POST /v1/events (auth, validation, confirmed publish)", single.rate, "req/s",
               Ceiling("empty FastAPI endpoint, same server settings", empty.rate, empty.details),
               Target("ratio_at_least", 0.5), _http(single)),
        Figure("2", f"POST /v1/events/batch, {batch.details['events_per_request']} events per request", batch.rate,
               "events/s", Ceiling("raw aio-pika confirmed publishing, one process", raw.rate, raw.details),
               Target("ratio_at_least", 0.8), _http(batch)),
        Figure("6", f"Single-event POST with {many.details['users']:,} user inboxes", many.rate, "req/s",
               Ceiling(f"the same with {few.details['users']} inboxes", few.rate, _http(few)),
               Target("ratio_at_least", 0.9), _http(many)),
    ]


def _latency_details(run: LatencyRun) -> dict[str, Any]:
    details: dict[str, Any] = {"events": run.sent, "missing": run.missing, "refused": run.refused,
                               "cpu_percent_of_one_core": {name: round(100 * spent / run.seconds)
                                                           for name, spent in run.cpu_seconds.items()},
                               "rounds": run.rounds}
    if run.post_ms:
        details["post_202_ms"] = {f"p{p}": round(percentile(run.post_ms, p), 3) for p in (50, 95, 99)}
    return _failures(details, (run.missing > 0, f"{run.missing} events never arrived (counted with the time "
                                                "waited for them: the percentiles are lower bounds)"),
                     (run.refused > 0, f"{run.refused} POSTs not answered 202"))


def latency_figures(herald: LatencyRun, bridge: LatencyRun, rate: float, sessions: int) -> list[Figure]:
    targets = {50: Target("ratio_at_most", 2), 95: None, 99: Target("at_most", 25)}
    herald_details, bridge_details = _latency_details(herald), _latency_details(bridge)
    return [
        Figure(f"3.p{p}", f"End-to-end POST -> new_message, p{p} ({rate:g} events/s over {sessions} sessions)",
               percentile(herald.latencies_ms, p), "ms",
               Ceiling("direct bridge (raw aio-pika -> minimal Chainlit app)", percentile(bridge.latencies_ms, p),
                       bridge_details),
               target, herald_details)
        for p, target in targets.items()
    ]


def fanout_figures(run: FanoutRun) -> list[Figure]:
    broadcast = _failures(
        {"sessions": run.sessions, "broadcasts": len(run.last_ms),
         "last_session_ms": {"p50": round(percentile(run.last_ms, 50), 1), "max": round(max(run.last_ms), 1)},
         "every_session_ms": {f"p{p}": round(percentile(run.arrivals_ms, p), 1) for p in (50, 99)},
         "cpu_seconds_broadcasting": run.cpu.get("broadcasting")},
        (run.incomplete > 0, f"{run.incomplete} broadcasts did not reach every session"),
        (run.not_taken_up > 0, f"{run.not_taken_up} session or inbox queues were never consumed"))
    memory = _failures(
        {"sessions": run.measured_sessions, "rss_before_mib": round(run.rss_before / 2**20, 1),
         "rss_after_mib": round(run.rss_after / 2**20, 1), "connect_seconds": round(run.connect_seconds, 1),
         "cpu_seconds_connecting": run.cpu.get("connecting")},
        (run.not_taken_up > 0, f"{run.not_taken_up} session or inbox queues were never consumed"))
    return [
        Figure("4", f"Broadcast to {run.sessions:,} sessions on one replica: last session renders, p99",
               percentile(run.last_ms, 99), "ms", None, Target("at_most", 500), broadcast),
        Figure("5", f"Memory per idle connected session (RSS delta / {run.measured_sessions:,})",
               run.bytes_per_session / 1024, "KiB", None, Target("at_most", 64), memory),
    ]
