"""How big and how long each measurement is: the full run (at most 5 minutes) and the smoke run (seconds)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Plan:
    name: str
    workers: int = 1  # uvicorn workers of the notifier, and of the empty endpoint beside it
    warmup_seconds: float = 1  # figures 1, 2 and 6: each load once, then they take turns (bench.turns)
    rounds: int = 3
    round_seconds: float = 2  # whole seconds: wrk's `-d`
    connections: int = 32
    users: int = 100  # the users single events and batches go to, in turn
    batch_size: int = 1000
    batch_connections: int = 2
    raw_in_flight: int = 64
    few_inboxes: int = 10
    many_inboxes: int = 10_000
    latency_rate: float = 500
    latency_seconds: float = 20
    latency_warmup_seconds: float = 1
    latency_rounds: int = 4  # in turns with the direct bridge: 4 x 5 s each
    latency_sessions: int = 100
    fanout_sessions: int = 1000
    broadcasts: int = 20


FULL = Plan("full")
SMOKE = Plan(
    "smoke", warmup_seconds=0, rounds=2, round_seconds=1, users=20, batch_size=100, batch_connections=2,
    few_inboxes=10, many_inboxes=200, latency_rate=50, latency_seconds=2, latency_warmup_seconds=0.5,
    latency_rounds=2, latency_sessions=10, fanout_sessions=20, broadcasts=3,
)


def adjusted(plan: Plan, workers: int | None = None, latency_rate: float | None = None) -> Plan:
    """The plan with the command line's overrides."""
    if workers is not None:
        plan = replace(plan, workers=workers)
    if latency_rate is not None:
        plan = replace(plan, latency_rate=latency_rate)
    return plan
