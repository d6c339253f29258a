"""A real RabbitMQ for the tests: HERALD_TEST_AMQP_URL, else testcontainers, else a private local node.

Never a skip: when none can be had, the error says how to get one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.rabbitmq_node import (
    INSTALL_HINT,
    BrokerUnavailable,
    RabbitMQNode,
    disarm,
    free_port,
    private_node,
    start_node,
)


def docker_engine_reachable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                               capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@contextmanager
def rabbitmq_url() -> Iterator[str]:
    if url := os.environ.get("HERALD_TEST_AMQP_URL"):
        yield url
    elif docker_engine_reachable():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
            yield f"amqp://guest:guest@{host}:{port}/"
    else:
        try:
            with private_node() as node:
                yield node.url
        except BrokerUnavailable as exc:
            raise BrokerUnavailable(f"The tests need a real RabbitMQ; none was had: {exc}\n{INSTALL_HINT}") from exc


class RestartableBroker:
    """A node of one test's own (the shared one must not stop under other tests), on a port fixed before it
    first starts, so that services can be pointed at it while it is down and it keeps its data across a
    stop and start."""

    def __init__(self, base: Path) -> None:
        self.base, self.port = base, free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.node: RabbitMQNode | None = None

    def start(self) -> None:
        self.node = start_node(self.base, amqp_port=self.port, name=f"restart-{self.port}@localhost")

    def stop(self) -> None:
        """A clean stop (`rabbitmqctl stop`): the node syncs and closes its files."""
        if self.node is not None:
            self.node.stop()
            self.node = None

    def kill(self) -> None:
        """A crash: SIGKILL to the node's whole process group (beam.smp and its helpers), no chance to
        sync or close anything. What it confirmed before must be on disk already."""
        assert self.node is not None
        os.killpg(self.node.process.pid, signal.SIGKILL)
        self.node.process.wait(timeout=30)
        if self.node.watchdog is not None:
            disarm(self.node.watchdog)
        self.node = None

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The node stopped in its tracks (SIGSTOP) and resumed (SIGCONT) on leaving: connections stay
        open, but nothing is routed or confirmed meanwhile, as with a broker stalled on its disk."""
        assert self.node is not None
        group = self.node.process.pid
        os.killpg(group, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(group, signal.SIGCONT)
