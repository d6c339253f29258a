"""A broker node of a test's own that it can stop, crash and freeze: the shared node must not, under other tests."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.rabbitmq_node import RabbitMQNode, disarm, free_port, start_node


class RestartableBroker:
    """A node on a fixed port and node name, so that it finds its queues and messages again on each start."""

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
