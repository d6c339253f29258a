"""Fixtures of the routing tests (two chat replicas with header login and a short session timeout) and of
the history tests (a chat keeping history on SQLite or Postgres)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from herald.chat.config import DEMO_HISTORY_URL
from tests.conftest import Keys
from tests.support import processes
from tests.support.postgres import PostgresServer
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


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history_chat(request: pytest.FixtureRequest, amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    """A chat with header login keeping thread history: on SQLite at the demo's own (relative) default URL, or
    on a fresh database of the private Postgres; Herald makes the tables in both. One per test module."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if request.param == "postgres":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        url = postgres.create_database(f"{module}_{uuid.uuid4().hex[:8]}")
    else:
        url = DEMO_HISTORY_URL
    with processes.chat(amqp_url, users_file, workdir, name=f"{module}-{request.param}",
                        env={"HERALD_AUTH_MODE": "header", "HERALD_DATA_LAYER_URL": url}) as service:
        yield service
