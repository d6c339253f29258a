"""The one publish-once path of /v1/events and /v1/webhooks, with a fake broker and a real answer store."""

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

DEDUPE = Dedupe(["webhook:github:d-1"], 3600, named="this delivery id")


class FakeBroker:
    def __init__(self) -> None:
        self.published: list[str] = []
        self.down = False
        self.gate: asyncio.Event | None = None  # when set, publishing waits for it
        self.entered = asyncio.Event()

    async def publish(self, event: Event) -> None:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise BrokerUnavailable("the broker is not connected")
        self.published.append(event.id)


def an_event(event_id: str = "wh_1") -> Event:
    return EventRequest.model_validate({"id": event_id, "target": {"user": "dave"}, "body": "x"}).to_event("t")


@pytest.fixture
async def answers(tmp_path: Path) -> AsyncIterator[AnswerStore]:
    db = await open_state_db(tmp_path / "state.sqlite3")
    yield await AnswerStore.create(db)
    await db.close()


async def test_a_repeat_gets_the_first_answer_and_publishes_nothing(answers: AnswerStore) -> None:
    broker = FakeBroker()
    first = await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    again = await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.answer == first.answer == {"id": "wh_1", "status": "accepted"}
    assert broker.published == ["wh_1"]


async def test_without_keys_every_request_publishes(answers: AnswerStore) -> None:
    broker = FakeBroker()
    for _ in range(2):
        assert not (await publish_once(answers, broker, an_event(), Dedupe(), retry_after=5)).replayed
    assert broker.published == ["wh_1", "wh_1"]


async def test_a_repeat_while_the_first_is_in_flight_is_409(answers: AnswerStore) -> None:
    broker = FakeBroker()
    broker.gate = asyncio.Event()
    first = asyncio.create_task(publish_once(answers, broker, an_event(), DEDUPE, retry_after=5))
    # The first has claimed its key and waits for the confirm (a deadline: a broken claim must fail, not hang).
    await asyncio.wait_for(broker.entered.wait(), timeout=5)
    with pytest.raises(Problem) as conflict:
        await publish_once(answers, broker, an_event(), DEDUPE, retry_after=5)
    assert conflict.value.status == 409 and "this delivery id" in conflict.value.detail
    broker.gate.set()
    assert not (await first).replayed
    assert broker.published == ["wh_1"]


async def test_an_unconfirmed_publish_is_503_and_its_retry_is_served_afresh(answers: AnswerStore) -> None:
    broker = FakeBroker()
    broker.down = True
    with pytest.raises(Problem) as unavailable:
        await publish_once(answers, broker, an_event(), DEDUPE, retry_after=7)
    assert unavailable.value.status == 503
    assert unavailable.value.headers == {"Retry-After": "7"}
    broker.down = False
    assert not (await publish_once(answers, broker, an_event(), DEDUPE, retry_after=7)).replayed
    assert broker.published == ["wh_1"]
