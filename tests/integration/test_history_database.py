"""Herald's history layer on a real SQLite file and a real Postgres (Debian's, started by the fixture): it
makes its tables before Chainlit's first statement, whichever method that is, keeps what was there when it
makes them again, lets replicas make them at once, and survives a database that does not answer yet."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from chainlit.context import init_http_context
from chainlit.types import Pagination, ThreadFilter
from chainlit.user import User
from sqlalchemy.ext.asyncio import create_async_engine

from herald.chat import history
from herald.chat.history import HeraldHistory, open_history
from herald.chat.history_schema import create_schema
from herald.chat.render import assistant_step
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        yield postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def layer(database_url: str) -> AsyncIterator[HeraldHistory]:
    opened = open_history(database_url)
    init_http_context()  # Chainlit's layer reads the session from its context; outside a tab it writes at once
    yield opened
    await opened.engine.dispose()


def metadata(step: dict[str, Any]) -> dict[str, Any]:
    value = step["metadata"]
    return json.loads(value) if isinstance(value, str) else dict(value)


async def write_thread(layer: HeraldHistory, user: str) -> tuple[str, str]:
    persisted = await layer.create_user(User(identifier=user))
    assert persisted is not None
    thread, step_id = str(uuid.uuid4()), str(uuid.uuid4())
    await layer.update_thread(thread, name="Build ready", user_id=persisted.id)
    await layer.create_step(assistant_step(step_id, thread, "**Build ready**", "ci", {
        "herald_event_id": "event-1", "herald_acknowledged": {"by": user, "at": "2026-12-06T15:00:00Z"},
        "data": {"build": 17, "tags": ["a", "b"]}}))
    return persisted.id, thread


async def test_the_layer_keeps_a_thread_in_a_database_it_made_its_tables_in(layer: HeraldHistory) -> None:
    user_id, thread = await write_thread(layer, "alice")
    kept = await layer.get_thread(thread)
    assert kept is not None and kept["userIdentifier"] == "alice" and kept["name"] == "Build ready"
    [step] = kept["steps"]
    assert step["output"] == "**Build ready**" and step["type"] == "assistant_message"
    assert metadata(dict(step)) == {"herald_event_id": "event-1",  # Herald's metadata, whole
                                    "herald_acknowledged": {"by": "alice", "at": "2026-12-06T15:00:00Z"},
                                    "data": {"build": 17, "tags": ["a", "b"]}}
    listed = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user_id))
    assert [entry["id"] for entry in listed.data] == [thread]


async def test_making_the_tables_again_keeps_what_is_in_them(layer: HeraldHistory, database_url: str) -> None:
    _, thread = await write_thread(layer, "bob")
    again = create_async_engine(database_url)
    try:
        await create_schema(again)
    finally:
        await again.dispose()
    kept = await layer.get_thread(thread)
    assert kept is not None and len(kept["steps"]) == 1


async def test_replicas_making_the_tables_at_once_all_succeed(database_url: str) -> None:
    engines = [create_async_engine(database_url) for _ in range(4)]
    try:
        await asyncio.gather(*(create_schema(engine) for engine in engines))  # raises should any collide
    finally:
        for engine in engines:
            await engine.dispose()
    layer = open_history(database_url)
    try:
        assert await layer.ensure_schema() and await layer.get_user("nobody") is None
    finally:
        await layer.engine.dispose()


async def test_a_database_that_does_not_answer_is_logged_masked_and_tried_again_later(
        postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    name = f"later_{uuid.uuid4().hex[:12]}"
    url = postgres.url(name).replace("herald@", "herald:s3cret@")  # trust auth: the password is only to be masked
    layer = open_history(url)
    init_http_context()
    try:
        with caplog.at_level(logging.ERROR, logger="herald.chat.history"):
            assert await layer.create_user(User(identifier="carol")) is None  # the database does not exist yet
            assert await layer.get_user("carol") is None  # within RETRY_SECONDS: not tried again
        [record] = [record for record in caplog.records if record.name == "herald.chat.history"]
        assert "thread history is off" in record.getMessage() and name in record.getMessage()
        assert "s3cret" not in record.getMessage() and "herald:******@" in record.getMessage()

        postgres.psql(f'CREATE DATABASE "{name}"')
        monkeypatch.setattr(history, "RETRY_SECONDS", 0.0)
        persisted = await layer.create_user(User(identifier="carol"))
        assert persisted is not None and persisted.identifier == "carol"
    finally:
        await layer.engine.dispose()
