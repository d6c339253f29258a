"""The processes a benchmark run starts on loopback: a private RabbitMQ node, the notifier, the chat,
and the ceilings' stand-ins (the empty endpoint, the direct bridge). Each stops when its block ends."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from herald.contract.bench_switches import WITHOUT_VARIABLE
from herald.notifier.api_keys import PUBLISH_EVENTS, config_entry, new_key
from herald.notifier.rate_limits import UNLIMITED
from scripts.rabbitmq_node import free_port
from tests.support import processes
from tests.support.processes import ROOT, Service

BRIDGE_APP = Path(__file__).with_name("bridge_app.py")


@dataclass(frozen=True)
class Stack:
    """What the phases of one run share: a scratch directory, the broker and an API key."""

    workdir: Path
    amqp_url: str
    broker_pid: int
    api_key: str
    keys_file: Path

    @classmethod
    def create(cls, workdir: Path, amqp_url: str, broker_pid: int) -> Stack:
        key = new_key()
        keys_file = workdir / "api-keys.toml"
        # Unlimited: the benchmarks measure what the notifier can carry, not its default rate limit.
        keys_file.write_text(config_entry("bench", key, [PUBLISH_EVENTS], UNLIMITED))
        return cls(workdir, amqp_url, broker_pid, key, keys_file)


def _python(module: str, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port), *args]


@contextmanager
def notifier(stack: Stack, workers: int, name: str = "notifier", without: Iterable[str] = ()) -> Iterator[Service]:
    """`without` names optimisations it runs without (shared/bench_switches.py)."""
    port = free_port()
    env = {"HERALD_AMQP_URL": stack.amqp_url, "HERALD_API_KEYS_FILE": str(stack.keys_file),
           "HERALD_STATE_DB": str(stack.workdir / f"{name}.sqlite3"), "PYTHONPATH": str(ROOT),
           WITHOUT_VARIABLE: ",".join(without)}
    command = _python("herald.notifier", port, "--workers", str(workers), "--log-level", "warning")
    with processes.running(name, command, env, stack.workdir, "/readyz", port) as service:
        yield service


@contextmanager
def empty_endpoint(stack: Stack, workers: int) -> Iterator[Service]:
    port = free_port()
    command = _python("bench.empty_app", port, "--workers", str(workers))
    with processes.running("empty-endpoint", command, {"PYTHONPATH": str(ROOT)}, stack.workdir, "/healthz",
                           port) as service:
        yield service


@contextmanager
def chat(stack: Stack, name: str, without: Iterable[str] = (), code: Path | None = None) -> Iterator[Service]:
    """A chat replica whose users log in by header, as behind an SSO proxy; `without` names optimisations
    it runs without (shared/bench_switches.py); `code` is another checkout of Herald to run instead."""
    env = {"HERALD_AUTH_MODE": "header", WITHOUT_VARIABLE: ",".join(without)}
    if code is not None:  # its herald package ahead of the installed one
        env["PYTHONPATH"] = f"{code / 'src'}:{code}"
    with processes.chat(stack.amqp_url, stack.workdir / "no-users.toml", stack.workdir, name=name, env=env,
                        app=code / "services/chat/app.py" if code else None) as service:
        yield service


@contextmanager
def bridge(stack: Stack, queue: str) -> Iterator[Service]:
    """The direct bridge: a minimal Chainlit app that pushes what it reads from `queue` into sessions."""
    port = free_port()
    command = [sys.executable, "-m", "herald.chat", str(BRIDGE_APP), "--host", "127.0.0.1", "--port", str(port)]
    env = {"BENCH_AMQP_URL": stack.amqp_url, "BENCH_BRIDGE_QUEUE": queue, "PYTHONPATH": str(ROOT)}
    workdir = stack.workdir / "bridge"
    workdir.mkdir(exist_ok=True)
    with processes.running("bridge", command, env, workdir, "/auth/config", port) as service:
        yield service
