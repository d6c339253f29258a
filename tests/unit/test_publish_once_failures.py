"""publish_once when something goes wrong: what the client is told, and that its retry is served afresh (found
by mutation testing, tests/README.md). A fake broker and a real answer store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from herald.contract.events import Event, EventRequest
from herald.notifier.broker_publisher import BrokerUnavailable
from herald.notifier.idempotency import AnswerStore
from herald.notifier.problems import Problem
from herald.notifier.publish_once import Dedupe, publish_once
from herald.notifier.state_db import open_state_db

pytestmark = pytest.mark.unit

DEDUPE = Dedupe(["event:tests:e-1"], 3600, named="this id")
DEADLINE = 5.0


class Broker:
    """Fails its first publish with `failure`, or waits at `gate` while it is set; then confirms."""

    def __init__(self, failure: BaseException | None = None) -> None:
        self.failure = failure
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.published: list[str] = []

    async def publish(self, event: Event) -> None:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.published.append(event.id)


async def publishing(broker: Broker, first: asyncio.Task[object]) -> None:
    """Return once `first` is at the broker; raise at once what `first` raised, if it ended before."""
    entered = asyncio.ensure_future(broker.entered.wait())
    await asyncio.wait({entered, first}, timeout=DEADLINE, return_when=asyncio.FIRST_COMPLETED)
    entered.cancel()
    if first.done():
        first.result()
    assert broker.entered.is_set(), f"nothing reached the broker within {DEADLINE} s"


def an_event() -> Event:
    return EventRequest.model_validate({"id": "e-1", "target": {"user": "dave"}, "body": "x"}).to_event("t")


@pytest.fixture
async def answers(tmp_path: Path) -> AsyncIterator[AnswerStore]:
    db = await open_state_db(tmp_path / "state.sqlite3")
    yield await AnswerStore.create(db)
    await db.close()


async def test_a_repeat_in_flight_is_told_when_to_retry(answers: AnswerStore) -> None:
    broker = Broker()
    broker.gate = asyncio.Event()
    first = asyncio.create_task(publish_once(answers, broker, an_event(), DEDUPE, retry_after=5))
    await publishing(broker, first)
    with pytest.raises(Problem) as conflict:
        await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    assert conflict.value.status == 409
    assert conflict.value.headers == {"Retry-After": "1"}
    broker.gate.set()
    await asyncio.wait_for(first, DEADLINE)


async def test_an_unconfirmed_publish_says_why_and_that_the_id_is_safe_to_retry(answers: AnswerStore) -> None:
    broker = Broker(BrokerUnavailable("no confirm within 5 s"))
    with pytest.raises(Problem) as unavailable:
        await publish_once(answers, broker, an_event(), DEDUPE, retry_after=7)
    assert unavailable.value.detail == ("The broker did not confirm the event: no confirm within 5 s. "
                                        "Retry later; the same id is safe to retry.")


@pytest.mark.parametrize("failure", [RuntimeError("bug"), asyncio.CancelledError()])
async def test_any_other_failure_releases_the_key_so_a_retry_publishes(answers: AnswerStore,
                                                                       failure: BaseException) -> None:
    broker = Broker(failure)
    with pytest.raises(type(failure)):
        await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    retry = await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    assert not retry.replayed
    assert broker.published == ["e-1"]
