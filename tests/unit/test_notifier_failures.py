"""Whatever goes wrong inside the notifier, the answer is a problem: never plain text, never a whole batch.

The app is the real one, in process, over a real answer store; only the broker is a fake, which fails
for the events a test marks, as a bug of the notifier's own would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from herald.contract.events import Event
from herald.notifier.api_keys import PUBLISH_EVENTS, WRITE_GROUPS, config_entry, new_key
from herald.notifier.api_keys_file import ApiKeysFile
from herald.notifier.app import create_app
from herald.notifier.config import NotifierSettings
from herald.notifier.deps import NotifierDeps
from herald.notifier.groups import GroupStore
from herald.notifier.idempotency import AnswerStore
from herald.notifier.rate_limits import RateLimit, RateLimits
from herald.notifier.state_db import open_state_db
from herald.notifier.webhooks import SourcesFile
from tests.support.problems import assert_problem

pytestmark = pytest.mark.unit

BOOM = "boom"  # an event with this body makes the fake broker fail unexpectedly


class FailingBroker:
    ready = True

    def __init__(self) -> None:
        self.published: list[Event] = []

    async def publish(self, event: Event) -> None:
        if event.body == BOOM:
            raise RuntimeError("a bug in the publishing path")
        self.published.append(event)


class Notifier:
    def __init__(self, app: FastAPI, key: str, broker: FailingBroker) -> None:
        self.app, self.key = app, key
        self.broker = broker
        # raise_app_exceptions=False: Starlette re-raises after answering, for the server to log it.
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                      base_url="http://notifier", headers={"Authorization": f"Bearer {key}"})

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.http.post(path, json=body)


@pytest.fixture
async def notifier(tmp_path: Path) -> AsyncIterator[Notifier]:
    key = new_key()
    keys_file = tmp_path / "keys.toml"
    keys_file.write_text(config_entry("tests", key, [PUBLISH_EVENTS, WRITE_GROUPS]))
    settings = NotifierSettings(api_keys_file=keys_file, state_db=tmp_path / "state.sqlite3")
    app = create_app(settings)
    db, groups_db = await open_state_db(settings.state_db), await open_state_db(settings.state_db)
    broker = FailingBroker()
    # What the lifespan (which httpx's transport does not run) stores, but for the broker.
    unlimited = RateLimit(per_second=1_000_000, burst=1_000_000)
    app.state.deps = NotifierDeps(settings, ApiKeysFile(keys_file), SourcesFile.open(None),
                                  RateLimits(unlimited, unlimited), await AnswerStore.create(db),
                                  await GroupStore.create(groups_db), broker)
    notifier = Notifier(app, key, broker)
    yield notifier
    await notifier.http.aclose()
    await db.close()
    await groups_db.close()


def event(body: str, event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"target": {"user": "alice"}, "body": body, **({"id": event_id} if event_id else {}), **fields}



async def test_an_unexpected_failure_is_a_500_problem_logged_with_the_event_id(
        notifier: Notifier, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="herald.notifier"):
        response = await notifier.post("/v1/events", event(BOOM, "evt-boom-1"))
    problem = assert_problem(response, 500)
    assert "evt-boom-1" in problem["detail"] and "a bug" not in problem["detail"]  # no internals to clients
    [record] = [r for r in caplog.records if r.name == "herald.notifier" and "evt-boom-1" in r.getMessage()]
    assert record.exc_info is not None and "a bug in the publishing path" in str(record.exc_info[1])


async def test_one_events_unexpected_failure_in_a_batch_is_its_own_problem(
        notifier: Notifier, caplog: pytest.LogCaptureFixture) -> None:
    batch = {"events": [event("first", "evt-b-0"), event(BOOM, "evt-b-1"), event("third", "evt-b-2")]}
    with caplog.at_level(logging.ERROR, logger="herald.notifier"):
        response = await notifier.post("/v1/events/batch", batch)
    assert response.status_code == 207, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    first, failed, third = answer["results"]
    assert first == {"index": 0, "id": "tests:evt-b-0", "status": "accepted"}
    assert third == {"index": 2, "id": "tests:evt-b-2", "status": "accepted"}
    assert failed["index"] == 1 and failed["id"] == "tests:evt-b-1" and failed["status"] == "rejected"
    assert failed["problem"]["status"] == 500 and "tests:evt-b-1" in failed["problem"]["detail"]
    assert [e.id for e in notifier.broker.published] == ["tests:evt-b-0", "tests:evt-b-2"]
    assert any("evt-b-1" in r.getMessage() and r.exc_info for r in caplog.records)

    # The retry a client makes of the failed one alone publishes it once the fault is gone.
    notifier.broker.published.clear()
    retried = await notifier.post("/v1/events/batch", {"events": [event("fixed", "evt-b-1")]})
    assert retried.status_code == 202, retried.text
    assert [e.id for e in notifier.broker.published] == ["tests:evt-b-1"]


async def test_a_failure_before_an_event_has_an_id_is_still_that_events_problem(
        notifier: Notifier, monkeypatch: pytest.MonkeyPatch) -> None:
    from herald.contract import events

    to_event = events.EventRequest.to_event

    def failing(self: events.EventRequest, source: str, now: Any = None) -> Event:
        if self.body == BOOM:
            raise KeyError("a bug in building the event")
        return to_event(self, source, now)

    monkeypatch.setattr(events.EventRequest, "to_event", failing)
    response = await notifier.post("/v1/events/batch", {"events": [event(BOOM), event("fine")]})
    assert response.status_code == 207, response.text
    failed, fine = response.json()["results"]
    assert failed["status"] == "rejected" and failed["problem"]["status"] == 500 and "id" not in failed
    assert fine["status"] == "accepted"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PATCH", "/v1/groups/ops/members/alice", "DELETE, PUT"),  # two routes share the path
    ("POST", "/v1/groups/ops/members", "GET"),
    ("GET", "/v1/events", "POST"),
])
async def test_a_405_is_a_problem_whose_allow_names_every_method_of_the_path(
        notifier: Notifier, method: str, path: str, allowed: str) -> None:
    response = await notifier.http.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allowed


async def test_a_body_past_orjsons_depth_is_a_422_not_a_400(notifier: Notifier) -> None:
    deep = b'{"target": {"user": "alice"}, "body": "x", "data": ' + b'{"a":' * 2000 + b"1" + b"}" * 2001
    response = await notifier.http.post("/v1/events", content=deep, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "(body)" and "32 levels" in problem["detail"]


async def test_integers_past_64_bits_are_published_exactly(notifier: Notifier) -> None:
    numbers = [2**64, -(2**63) - 1, 10**40, 12345678901234567890, -(10**99) + 1]
    response = await notifier.post("/v1/events", event("numbers", data={"n": numbers, "text": "1" * 25}))
    assert response.status_code == 202, response.text
    [published] = notifier.broker.published
    assert published.data == {"n": numbers, "text": "1" * 25}
    assert Event.from_wire(published.to_wire()).data == published.data  # and the chat reads them so


async def test_an_integer_no_parser_on_the_way_can_read_is_a_422(notifier: Notifier) -> None:
    body = b'{"target": {"user": "alice"}, "body": "x", "data": {"n": ' + b"9" * 5000 + b"}}"
    response = await notifier.http.post("/v1/events", content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422)
    assert "4300 digits" in problem["detail"]
    assert notifier.broker.published == []


@pytest.mark.parametrize("number", [b"1e400", b"NaN", b"-Infinity"])
async def test_what_orjson_refuses_stays_refused_when_read_exactly(notifier: Notifier, number: bytes) -> None:
    body = b'{"target": {"user": "alice"}, "body": "x", "data": {"n": ' + number + b', "id": 12345678901234567890}}'
    response = await notifier.http.post("/v1/events", content=body, headers={"content-type": "application/json"})
    assert "not valid JSON" in assert_problem(response, 400)["detail"]
    assert notifier.broker.published == []


async def test_an_integer_past_a_floats_range_is_read_exactly_and_refused_by_the_contract(notifier: Notifier) -> None:
    body = b'{"target": {"user": "alice"}, "body": "x", "data": {"n": ' + b"9" * 400 + b"}}"  # orjson refuses it
    response = await notifier.http.post("/v1/events", content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"field": "data", "message": "Value error, data holds an integer of over 99 digits"}]
