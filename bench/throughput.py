"""Figures 1, 2 and 6: closed-loop throughput, each figure in turns with its ceiling (see bench.turns).

Every stretch of a load starts from the same broker state: the inboxes it filled are purged after it.
(This also keeps figure 6 within the private node's file handles: see `inbox_rates`.)
"""

from __future__ import annotations

from typing import Any

import uvloop

from bench.broker_ops import bench_users, declare_inboxes, purge_inboxes
from bench.cpu import cpu_share
from bench.plan import Plan
from bench.raw_publish import WAYS, publish_for
from bench.stack import Stack
from bench.turns import Load, Measured, Stretch, in_turns
from bench.wrk import run_wrk
from tests.support.processes import Service

SINGLE, BATCH = "/v1/events", "/v1/events/batch"


def wrk_load(stack: Stack, server: Service, path: str, *, users: int, prefix: str, connections: int,
         per_request: int = 0, publishes: bool = True) -> Load:
    sent = 0  # each stretch goes on with the user after the last one's, as one long run would

    def stretch(seconds: float) -> Stretch:
        nonlocal sent
        cpu: dict[str, float] = {}
        with cpu_share({"server": server.process.pid, "broker": stack.broker_pid}, cpu):
            run = run_wrk(server.url, path, stack.api_key, users=users, prefix=prefix, per_request=per_request,
                          seconds=seconds, connections=connections, first=sent)
        if publishes:
            uvloop.run(purge_inboxes(stack.amqp_url, _users_reached(prefix, users, sent, run.requests + connections,
                                                                    per_request)))
        sent += run.requests
        cpu.pop("harness")  # it only waits for wrk
        cpu["wrk"] = run.cpu_seconds
        accepted = run.requests * per_request - run.rejected_events if per_request else run.requests - run.non_202
        return Stretch(accepted, run.seconds, cpu,
                       totals={"requests": run.requests, "non_202": run.non_202,
                               "rejected_events": run.rejected_events, "socket_errors": run.socket_errors},
                       details={"latency_ms": run.latency_ms})

    return stretch


def _users_reached(prefix: str, users: int, first: int, requests: int, per_request: int) -> list[str]:
    """The users that `requests` requests of a run starting at `first` went to (events.lua sends its k-th
    request, k from 1, to user (first + k) mod users), or every user when the requests are batches."""
    if per_request or requests >= users:
        return bench_users(prefix, users)
    return [f"{prefix}{(first + n) % users}" for n in range(1, requests + 1)]


def _raw(stack: Stack, plan: Plan, way: str, prefix: str) -> Load:
    def stretch(seconds: float) -> Stretch:
        cpu: dict[str, float] = {}
        with cpu_share({"broker": stack.broker_pid}, cpu):
            confirmed, took = uvloop.run(
                publish_for(stack.amqp_url, way, seconds, plan.raw_in_flight, plan.users, prefix))
        uvloop.run(purge_inboxes(stack.amqp_url, bench_users(prefix, plan.users)))
        cpu["publisher"] = cpu.pop("harness")
        return Stretch(confirmed, took, cpu, totals={"confirmed": confirmed})

    return stretch


def _in_turns(plan: Plan, loads: dict[str, Load], about: dict[str, dict[str, Any]]) -> dict[str, Measured]:
    return in_turns(loads, plan.warmup_seconds, plan.rounds, plan.round_seconds, about)


def single_event_rates(stack: Stack, plan: Plan, empty: Service, notifier: Service) -> tuple[Measured, Measured]:
    """#1: the empty endpoint (the ceiling) and single events, in turns."""
    users = bench_users("bench-single-", plan.users)
    uvloop.run(declare_inboxes(stack.amqp_url, users))  # users who have been here before
    about = {"users": plan.users, "connections": plan.connections}
    measured = _in_turns(plan, {
        "empty": wrk_load(stack, empty, SINGLE, users=plan.users, prefix="bench-empty-", connections=plan.connections,
                      publishes=False),
        "single": wrk_load(stack, notifier, SINGLE, users=plan.users, prefix="bench-single-",
                       connections=plan.connections),
    }, {"empty": about, "single": about})
    return measured["empty"], measured["single"]


def batch_rates(stack: Stack, plan: Plan, notifier: Service) -> tuple[Measured, Measured]:
    """#2: raw aio-pika publishing (the ceiling: the better of its two ways, see bench.raw_publish) and
    batches, in turns."""
    raw_users, batch_users = bench_users("bench-raw-", plan.users), bench_users("bench-batch-", plan.users)
    uvloop.run(declare_inboxes(stack.amqp_url, raw_users + batch_users))
    raw_about = {"in_flight": plan.raw_in_flight, "users": plan.users}
    measured = _in_turns(plan, {
        **{way: _raw(stack, plan, way, "bench-raw-") for way in WAYS},
        "batch": wrk_load(stack, notifier, BATCH, users=plan.users, prefix="bench-batch-",
                      connections=plan.batch_connections, per_request=plan.batch_size),
    }, {**{way: raw_about for way in WAYS},
        "batch": {"users": plan.users, "connections": plan.batch_connections,
                  "events_per_request": plan.batch_size}})
    best = max(WAYS, key=lambda way: measured[way].rate)
    raw = Measured(measured[best].rate, {"way": best, **raw_about,
                                         "ways": {way: measured[way].details for way in WAYS}})
    return raw, measured["batch"]


def inbox_rates(stack: Stack, plan: Plan, notifier: Service) -> tuple[Measured, Measured]:
    """#6: single events spread over few inboxes (the ceiling) and over many, in turns; all of them exist,
    as after users logged in.

    Nearly every event of the many is the first in its inbox, which then keeps ~2 file handles open
    while it holds a message. Past ~9,950 such inboxes this node (`nofile` 20,000, and no right to
    raise it) runs out of handles, and a stretch that crossed that line fell from ~1,850 to 415
    req/s. Purging after each stretch keeps the count to the events of one stretch, as in a deployment
    whose broker has the `nofile` RabbitMQ asks for (65,536, as in compose.yaml)."""
    few, many = bench_users("bench-few-", plan.few_inboxes), bench_users("bench-many-", plan.many_inboxes)
    uvloop.run(declare_inboxes(stack.amqp_url, few + many))
    measured = _in_turns(plan, {
        "few": wrk_load(stack, notifier, SINGLE, users=plan.few_inboxes, prefix="bench-few-",
                    connections=plan.connections),
        "many": wrk_load(stack, notifier, SINGLE, users=plan.many_inboxes, prefix="bench-many-",
                     connections=plan.connections),
    }, {"few": {"users": plan.few_inboxes, "connections": plan.connections},
        "many": {"users": plan.many_inboxes, "connections": plan.connections}})
    return measured["few"], measured["many"]
