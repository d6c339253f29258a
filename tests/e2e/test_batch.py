"""`POST /v1/events/batch` against the real notifier: one answer per event, each with `/v1/events`' semantics."""

from __future__ import annotations

import uuid
from typing import Any

import aio_pika
import httpx
import pytest

from herald.contract.topology import inbox_queue_name
from tests.conftest import Keys
from tests.support.processes import Service
from tests.support.routing_drivers import Tabs, fresh_user
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def post_batch(notifier: Service, key: str, events: list[Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{notifier.url}/v1/events/batch", json={"events": events},
                      headers={"Authorization": f"Bearer {key}", **headers}, timeout=30)


def sink() -> str:
    """A user nobody logs in as: what the tests publish to them waits in an inbox nobody reads."""
    return f"batch-sink-{uuid.uuid4().hex[:8]}"


def an_event(user: str, **fields: Any) -> dict[str, Any]:
    return {"target": {"user": user}, "body": f"batch event {uuid.uuid4().hex[:8]}", **fields}


async def waiting_in_inbox(amqp_url: str, user: str) -> int:
    """How many events wait in the user's inbox (0 when it was never made)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(inbox_queue_name(user), passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return 0
    return int(queue.declaration_result.message_count or 0)


async def test_every_event_is_accepted_and_answered_in_order(notifier: Service, keys: Keys, amqp_url: str) -> None:
    user = sink()
    response = post_batch(notifier, keys.publisher, [an_event(user) for _ in range(5)])
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (5, 0)
    assert [result["index"] for result in answer["results"]] == list(range(5))
    assert {result["status"] for result in answer["results"]} == {"accepted"}
    assert len({result["id"] for result in answer["results"]}) == 5
    assert await waiting_in_inbox(amqp_url, user) == 5


async def test_invalid_events_get_their_own_problem_and_the_valid_ones_are_published(
        notifier: Service, keys: Keys, amqp_url: str) -> None:
    user = sink()
    events = [an_event(user), {"target": {"user": "no spaces allowed"}, "body": "x"}, an_event(user),
              {"target": {"user": user}}, "not an event"]
    response = post_batch(notifier, keys.publisher, events)
    assert response.status_code == 207, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 3)
    results = answer["results"]
    assert [result["status"] for result in results] == ["accepted", "rejected", "accepted", "rejected", "rejected"]
    for index in (1, 3, 4):
        problem = results[index]["problem"]
        assert problem["status"] == 422 and problem["type"] == "about:blank"
        assert all(error["field"].startswith(f"events.{index}") for error in problem["errors"]), problem
    assert results[1]["problem"]["errors"][0]["field"] == "events.1.target.user.user"
    assert "events.3.body" in results[3]["problem"]["detail"]
    assert await waiting_in_inbox(amqp_url, user) == 2


def test_a_batch_of_more_than_1000_events_is_refused_whole(notifier: Service, keys: Keys) -> None:
    user = sink()
    response = post_batch(notifier, keys.publisher, [{"target": {"user": user}, "body": "x"}] * 1001)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "1001 events" in response.json()["detail"] and "1000" in response.json()["detail"]


@pytest.mark.parametrize("body", [{"events": []}, {"events": "many"}, {"event": []}, [1, 2]])
def test_a_body_that_is_not_a_batch_is_422(notifier: Service, keys: Keys, body: object) -> None:
    response = httpx.post(f"{notifier.url}/v1/events/batch", json=body,
                          headers={"Authorization": f"Bearer {keys.publisher}"}, timeout=10)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_the_batch_needs_the_publish_scope(notifier: Service, keys: Keys) -> None:
    response = post_batch(notifier, keys.no_scope, [an_event(sink())])
    assert response.status_code == 403, response.text


async def test_an_event_id_repeated_in_the_batch_or_later_is_published_once(
        notifier: Service, keys: Keys, amqp_url: str) -> None:
    user, event_id = sink(), f"evt-{uuid.uuid4().hex}"
    response = post_batch(notifier, keys.publisher, [an_event(user, id=event_id), an_event(user),
                                                     an_event(user, id=event_id)])
    assert response.status_code == 202, response.text
    first, _, copy = response.json()["results"]
    scoped = f"tests:{event_id}"  # the id given, scoped to the key that gave it
    assert first == {"index": 0, "id": scoped, "status": "accepted"}
    assert copy == {"index": 2, "id": scoped, "status": "accepted"}
    again = post_batch(notifier, keys.publisher, [an_event(user, id=event_id)])
    assert again.json()["results"] == [{"index": 0, "id": scoped, "status": "accepted"}]
    assert await waiting_in_inbox(amqp_url, user) == 2


async def test_an_idempotency_key_replays_each_position_of_the_batch(
        notifier: Service, keys: Keys, amqp_url: str) -> None:
    user, key = sink(), uuid.uuid4().hex
    events = [an_event(user), an_event(user)]
    first = post_batch(notifier, keys.publisher, events, **{"Idempotency-Key": key})
    again = post_batch(notifier, keys.publisher, events, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert again.json() == first.json()
    assert await waiting_in_inbox(amqp_url, user) == 2


async def test_accepted_events_reach_a_live_tab_in_order(
        replicas: tuple[Service, Service], notifier: Service, keys: Keys, tabs: Tabs) -> None:
    user = fresh_user("batch")
    tab = await tabs.open(replicas[0], user)
    events = [an_event(user, title=f"n{n}") for n in range(3)]
    response = post_batch(notifier, keys.publisher, [events[0], {"target": {"user": user}}, *events[1:]])
    assert response.status_code == 207, response.text
    accepted = [result["id"] for result in response.json()["results"] if result["status"] == "accepted"]
    await wait_until(lambda: len(tab.herald_events()) >= 3, what="the batch's events in the tab")
    assert tab.emitted_ids() == accepted
    assert all(event["body"] in step["output"] for event, step in zip(events, tab.herald_events(), strict=True))
