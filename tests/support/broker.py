"""A real RabbitMQ for the tests: HERALD_TEST_AMQP_URL, else testcontainers, else a private local node.

Never a skip: when none can be had, the error says how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.rabbitmq_node import INSTALL_HINT, BrokerUnavailable, RabbitMQNode, free_port, private_node, start_node


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
        if self.node is not None:
            self.node.stop()
            self.node = None
