"""Fixtures of the routing tests: two chat replicas with header login and a short session timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs

SESSION_TIMEOUT_SECONDS = 3


@pytest.fixture(scope="session")
def replicas(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[tuple[Service, Service]]:
    with processes.chat_replicas(amqp_url, users_file, workdir, "replica", SESSION_TIMEOUT_SECONDS) as pair:
        yield pair


@pytest.fixture
async def tabs(amqp_url: str) -> AsyncIterator[Tabs]:
    opened = Tabs(amqp_url)
    yield opened
    await opened.close()


@pytest.fixture
def publisher(notifier: Service, keys: Keys) -> Publisher:
    return Publisher(notifier, keys)
