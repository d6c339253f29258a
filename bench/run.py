"""One benchmark run: start everything on loopback, measure each figure beside its ceiling, stop it all."""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from bench import latency, machine, stack, throughput
from bench.fanout import FanoutRun, fanout
from bench.figures import fanout_figures, latency_figures, throughput_figures
from bench.plan import Plan
from bench.wrk import require_wrk
from scripts.rabbitmq_node import private_node

_START = time.monotonic()


def _say(message: str) -> None:
    print(f"bench [{time.monotonic() - _START:5.1f} s] {message}", file=sys.stderr, flush=True)


def run(plan: Plan, command: str) -> dict[str, Any]:
    require_wrk()
    started, clock = datetime.now(UTC), time.monotonic()
    conditions = machine.other_load()
    if conditions["other_rabbitmq_nodes"] or conditions["other_pytest_processes"]:
        _say(f"warning: other work is running ({conditions}); the figures will be noisy")
    tag = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as scratch, private_node() as node:
        bench = stack.Stack.create(Path(scratch), node.url, node.process.pid)
        with stack.notifier(bench, plan.workers) as notifier:
            with stack.empty_endpoint(bench, plan.workers) as empty_endpoint:
                _say(f"#1: single events, in turns with an empty FastAPI endpoint ({plan.workers} worker(s))")
                empty, single = throughput.single_event_rates(bench, plan, empty_endpoint, notifier)
            _say("#2: batches, in turns with raw aio-pika publishing")
            raw, batch = throughput.batch_rates(bench, plan, notifier)
            load = latency.Load(plan.latency_rate, plan.latency_seconds, plan.latency_warmup_seconds,
                                plan.latency_sessions, plan.latency_rounds)
            queue = f"bench.bridge.{tag}"
            with stack.chat(bench, "chat-latency") as replica, stack.bridge(bench, queue) as bridge:
                _say(f"#3: Herald at {load.rate:g} events/s over {load.sessions} sessions, in turns with the "
                     "direct bridge")
                herald_run, bridge_run = uvloop.run(latency.herald_and_bridge(
                    replica.url, notifier.url, bench.api_key, bridge.url, bench.amqp_url, queue, load, tag,
                    herald_pids={"chat": replica.process.pid, "notifier": notifier.process.pid,
                                 "broker": node.process.pid},
                    bridge_pids={"bridge": bridge.process.pid, "broker": node.process.pid}))
            figures = latency_figures(herald_run, bridge_run, load.rate, load.sessions)

            with stack.chat(bench, "chat-fanout") as replica:
                _say(f"#4, #5: {plan.fanout_sessions:,} sessions on one replica, {plan.broadcasts} broadcasts")
                fan: FanoutRun = uvloop.run(fanout(
                    replica.url, replica.process.pid, notifier.url, bench.api_key, bench.amqp_url,
                    sessions=plan.fanout_sessions, broadcasts=plan.broadcasts, tag=tag))
            figures += fanout_figures(fan)

            # Last, to be safe: once ~10,000 inboxes hold a message, this RabbitMQ (3.10) accepts no new
            # connection. Each such classic v2 queue keeps ~2 file handles open, and once its file
            # handle cache is over its limit (the node's `nofile` less a reserve: 19,903 here, 21,497
            # in use) a new socket waits for a handle that never frees; the chats of #3-#5 hung there.
            # The purge after each stretch now keeps the count well under (throughput.inbox_rates).
            _say(f"#6: {plan.few_inboxes} inboxes, in turns with {plan.many_inboxes:,}")
            few, many = throughput.inbox_rates(bench, plan, notifier)
            figures += throughput_figures(empty, single, raw, batch, few, many)
    order = ["1", "2", "3.p50", "3.p95", "3.p99", "4", "5", "6"]
    figures.sort(key=lambda figure: order.index(figure.key))
    return {
        "mode": plan.name,
        "command": command,
        "started_at": started.isoformat(timespec="seconds").replace("+00:00", ""),
        "seconds": round(time.monotonic() - clock, 1),
        "machine": machine.describe(),
        "conditions": {"at_start": conditions, "at_end": machine.other_load()},
        "plan": plan.__dict__,
        "figures": [figure.as_dict() for figure in figures],
        "samples": {
            "latency_ms": {"Herald": [round(v, 3) for v in herald_run.latencies_ms],
                           "direct bridge": [round(v, 3) for v in bridge_run.latencies_ms]},
            "broadcast_ms": {"last_session": [round(v, 2) for v in fan.last_ms],
                             "every_session": [round(v, 2) for v in fan.arrivals_ms]},
        },
    }
