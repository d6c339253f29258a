"""Figures 1, 2 and 6: closed-loop throughput, each figure beside its ceiling measured in the same run.

Every load starts from the same broker state: the inboxes it filled are purged after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import uvloop

from bench.broker_ops import bench_users, declare_inboxes, purge_inboxes
from bench.cpu import cpu_share
from bench.plan import Plan
from bench.raw_publish import WAYS, publish_for
from bench.stack import Stack, empty_endpoint
from bench.wrk import run_wrk
from tests.support.processes import Service

SINGLE, BATCH = "/v1/events", "/v1/events/batch"


@dataclass(frozen=True)
class Measured:
    rate: float  # requests or events per second, as the figure counts
    details: dict[str, Any]


def _load(stack: Stack, plan: Plan, server: Service, path: str, *, users: int, prefix: str, per_request: int = 0,
          connections: int | None = None) -> Measured:
    def once(seconds: float) -> Any:
        return run_wrk(server.url, path, stack.api_key, users=users, prefix=prefix, per_request=per_request,
                       seconds=seconds, connections=connections or plan.connections)

    if plan.warmup_seconds:
        once(plan.warmup_seconds)  # connections, caches and the broker's queues settle; not counted
    cpu: dict[str, float] = {}
    with cpu_share({"server": server.process.pid, "broker": stack.broker_pid}, cpu):
        run = once(plan.wrk_seconds)
    cpu["wrk"] = run.cpu_seconds
    accepted = run.requests * per_request - run.rejected_events if per_request else run.requests - run.non_202
    details = {**run.as_dict(), "users": users, "connections": connections or plan.connections,
               "cpu_percent_of_one_core": {name: round(100 * used / run.seconds) for name, used in cpu.items()}}
    if per_request:
        details["events_per_request"] = per_request
    return Measured(accepted / run.seconds, details)


def empty_endpoint_rate(stack: Stack, plan: Plan) -> Measured:
    with empty_endpoint(stack, plan.workers) as server:
        return _load(stack, plan, server, SINGLE, users=plan.users, prefix="bench-empty-")


def single_event_rate(stack: Stack, plan: Plan, notifier: Service, users: int, prefix: str,
                      purge: bool = True) -> Measured:
    uvloop.run(declare_inboxes(stack.amqp_url, bench_users(prefix, users)))  # users who have been here before
    measured = _load(stack, plan, notifier, SINGLE, users=users, prefix=prefix)
    if purge:
        uvloop.run(purge_inboxes(stack.amqp_url, bench_users(prefix, users)))
    return measured


def batch_rate(stack: Stack, plan: Plan, notifier: Service) -> Measured:
    prefix = "bench-batch-"
    uvloop.run(declare_inboxes(stack.amqp_url, bench_users(prefix, plan.users)))
    measured = _load(stack, plan, notifier, BATCH, users=plan.users, prefix=prefix, per_request=plan.batch_size,
                     connections=plan.batch_connections)
    uvloop.run(purge_inboxes(stack.amqp_url, bench_users(prefix, plan.users)))
    return measured


def raw_publishing_rate(stack: Stack, plan: Plan) -> Measured:
    """The better of the two ways to publish with aio-pika (see bench.raw_publish)."""
    prefix = "bench-raw-"
    users = bench_users(prefix, plan.users)
    uvloop.run(declare_inboxes(stack.amqp_url, users))
    ways: dict[str, dict[str, Any]] = {}
    rates: dict[str, float] = {}
    for way in WAYS:
        cpu: dict[str, float] = {}
        with cpu_share({"broker": stack.broker_pid}, cpu):
            confirmed, seconds = uvloop.run(
                publish_for(stack.amqp_url, way, plan.wrk_seconds, plan.raw_in_flight, plan.users, prefix))
        uvloop.run(purge_inboxes(stack.amqp_url, users))
        cpu["publisher"] = cpu.pop("harness")
        rates[way] = confirmed / seconds
        ways[way] = {"rate": round(rates[way], 1), "confirmed": confirmed, "seconds": round(seconds, 3),
                     "cpu_percent_of_one_core": {name: round(100 * used / seconds) for name, used in cpu.items()}}
    best = max(rates, key=rates.__getitem__)
    return Measured(rates[best], {"way": best, "in_flight": plan.raw_in_flight, "users": plan.users,
                                         "ways": ways})


def inbox_rates(stack: Stack, plan: Plan, notifier: Service) -> tuple[Measured, Measured]:
    """Single events spread over few inboxes, then over many; all of them exist, as after users logged in.
    The many are not purged after: it runs last (see run.py), and the broker would not take the
    connection a purge needs."""
    return (single_event_rate(stack, plan, notifier, plan.few_inboxes, "bench-few-"),
            single_event_rate(stack, plan, notifier, plan.many_inboxes, "bench-many-", purge=False))
