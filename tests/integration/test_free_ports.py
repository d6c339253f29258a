"""A port found free can be taken by another process before a service binds it: the service, or the
private broker node, then starts again on another port instead of failing the test that wanted it."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

import scripts.rabbitmq_node
from scripts.rabbitmq_node import free_port, start_node
from tests.support import processes

pytestmark = pytest.mark.integration


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process holds, which the next free_port() hands out first."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def _taken_first(port: int) -> Callable[[], int]:
    handed = iter([port])
    return lambda: next(handed, None) or free_port()


def test_a_service_whose_port_was_taken_starts_on_another(tmp_path: Path, taken_port: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "free_port", _taken_first(taken_port))
    with ExitStack() as stack:
        service = processes.on_a_free_port(stack, lambda port: processes.running(
            "web", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {}, tmp_path, "/", port))
        assert not service.url.endswith(f":{taken_port}")
        assert httpx.get(service.url + "/").status_code == 200


def test_a_private_node_whose_port_was_taken_starts_on_another(taken_port: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scripts.rabbitmq_node, "free_port", _taken_first(taken_port))
    base = Path(tempfile.mkdtemp(prefix="herald-rabbitmq-", dir=os.environ["HERALD_SCRATCH_DIR"]))
    node = start_node(base, scratch=True)
    try:
        assert node.amqp_port != taken_port
        assert "eaddrinuse" in (base / "server.out").read_text()  # the first attempt did meet the taken port
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)
