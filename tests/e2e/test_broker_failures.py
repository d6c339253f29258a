"""The guarantees that hold when the broker refuses, stalls or crashes, on a node of this module's own.

- `202` only after a confirm: a full inbox's nack and a confirm that never comes are `503`s, and the
  refused event is dead-lettered; a repeat of a request still in flight is `409` on every endpoint.
- What was confirmed is kept: events accepted just before the broker is SIGKILLed, waiting in an
  inbox or a tab's queue, and group memberships, are all there after the restart.

The node is this module's own: the shared one must not crash or freeze under other tests, and inbox
arguments (the small `HERALD_INBOX_MAX_LENGTH`) must agree across every process on one broker.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from herald.contract.topology import inbox_queue_name, session_queue_name
from tests.conftest import Keys
from tests.support import processes
from tests.support.broker import RestartableBroker
from tests.support.broker_probe import consumer_count, dead_letter_reasons, queued_ids
from tests.support.chat_client import login_by_header, open_tab
from tests.support.problems import assert_problem
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.waiting import eventually, wait_until
from tests.support.webhook_senders import WebhookSources, github_headers, post_webhook, unique_pull_request

pytestmark = pytest.mark.e2e

CONFIRM_TIMEOUT_SECONDS = 2
SMALL_INBOX = 3


@dataclass
class Stack:
    broker: RestartableBroker
    chat: processes.Service
    notifier: processes.Service
    publisher: Publisher
    state_db: Path
    # A notifier whose inboxes hold SMALL_INBOX events, a deployment of its own on the same broker: only
    # its own fresh users' inboxes, which the chat never declares, are made with that length.
    small_inboxes: Publisher


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, keys: Keys, users_file: Path, workdir: Path,
          webhook_sources: WebhookSources) -> Iterator[Stack]:
    broker = RestartableBroker(tmp_path_factory.mktemp("failing-broker") / "rabbitmq")
    broker.start()
    state_db = workdir / f"failures-{uuid.uuid4().hex[:8]}.sqlite3"
    try:
        with processes.notifier(broker.url, keys.file, workdir, state_db=state_db, env={
                    "HERALD_PUBLISH_TIMEOUT_SECONDS": str(CONFIRM_TIMEOUT_SECONDS),
                    "HERALD_WEBHOOK_SOURCES_FILE": str(webhook_sources.file)}) as notifier, \
                processes.notifier(broker.url, keys.file, workdir,
                                   # A deployment of its own: the inbox length every process of one
                                   # must share (shared/agreed_settings.py) is not the chat's.
                                   env={"HERALD_INBOX_MAX_LENGTH": str(SMALL_INBOX),
                                        "HERALD_DEPLOYMENT": "small-inboxes"}) as small, \
                processes.chat(broker.url, users_file, workdir, name="failures-chat",
                               env={"HERALD_AUTH_MODE": "header"}) as chat:
            yield Stack(broker, chat, notifier, Publisher(notifier, keys), state_db, Publisher(small, keys))
    finally:
        broker.stop()


@pytest.fixture
async def tabs(stack: Stack) -> AsyncIterator[Tabs]:
    opened = Tabs(stack.broker.url)
    yield opened
    await opened.close()


async def post(service: processes.Service, path: str, key: str, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        return await http.post(path, json=body, headers={"Authorization": f"Bearer {key}"})


async def post_webhook_async(service: processes.Service, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await asyncio.to_thread(post_webhook, service.url, "github", body, headers)


async def test_an_event_a_full_inbox_refuses_is_503_and_dead_lettered(stack: Stack, keys: Keys) -> None:
    """The inbox's `reject-publish-dlx` overflow: the broker nacks the publish, the notifier answers 503,
    the refused copy goes to the dead letters, and the events that were waiting stay."""
    user = fresh_user("full")
    waiting = [await stack.small_inboxes.send({"user": user}) for _ in range(SMALL_INBOX)]
    refused = f"evt-refused-{uuid.uuid4().hex}"
    response = await post(stack.small_inboxes.notifier, "/v1/events", keys.publisher,
                          {"id": refused, "target": {"user": user}, "body": "one too many"})
    assert_problem(response, 503, "refused the event")
    assert int(response.headers["retry-after"]) > 0

    batch = await post(stack.small_inboxes.notifier, "/v1/events/batch", keys.publisher,
                       {"events": [{"target": {"user": user}, "body": "one too many, in a batch"}]})
    assert batch.status_code == 207, batch.text
    [result] = batch.json()["results"]
    assert result["status"] == "rejected" and result["problem"]["status"] == 503
    assert int(batch.headers["retry-after"]) > 0

    reasons = await dead_letter_reasons(stack.broker.url)
    # Ids are scoped to the key that gave them (services/notifier/event_ids.py): `keys.publisher` is "tests".
    assert reasons.get(f"tests:{refused}") == "maxlen" and reasons.get(result["id"]) == "maxlen"
    assert await queued_ids(stack.broker.url, inbox_queue_name(user)) == waiting  # none dropped for it


def claimed(state_db: Path, key: str) -> bool:
    """The notifier holds `key` for a request still publishing (claimed, no answer yet), as its state
    file says (services/notifier/idempotency.py): so a repeat is sent only once the first is in flight."""
    with sqlite3.connect(state_db) as db:
        row = db.execute("SELECT answer IS NULL FROM answers WHERE key = ?", (key,)).fetchone()
    return bool(row and row[0])


async def test_while_the_broker_confirms_nothing_a_request_is_503_and_its_repeat_409(
        stack: Stack, keys: Keys, tabs: Tabs, webhook_sources: WebhookSources) -> None:
    user = fresh_user("frozen")
    tab = await tabs.open(stack.chat, user)
    event_id, other_id = f"evt-frozen-{uuid.uuid4().hex}", f"evt-other-{uuid.uuid4().hex}"
    event = {"id": event_id, "target": {"user": user}, "body": "sent while the broker was frozen"}
    pull_request, _ = unique_pull_request("someone-unmapped")
    delivery = github_headers(webhook_sources.github_new, pull_request)
    delivery_key = f"webhook:github:{delivery['X-GitHub-Delivery']}"

    with stack.broker.frozen():
        started = time.monotonic()
        first = asyncio.create_task(post(stack.notifier, "/v1/events", keys.publisher, event))
        first_delivery = asyncio.create_task(post_webhook_async(stack.notifier, pull_request, delivery))
        await wait_until(lambda: claimed(stack.state_db, f"event:tests:{event_id}")
                         and claimed(stack.state_db, delivery_key), what="both requests to be publishing")

        repeat = await post(stack.notifier, "/v1/events", keys.publisher, event)
        repeated_delivery = await post_webhook_async(stack.notifier, pull_request, delivery)
        batch = await post(stack.notifier, "/v1/events/batch", keys.publisher, {"events": [
            event, {"id": other_id, "target": {"user": user}, "body": "also frozen"}]})
        answers = [await first, await first_delivery]
        elapsed = time.monotonic() - started

    for in_flight in (repeat, repeated_delivery):
        assert_problem(in_flight, 409, "still in flight")
        assert in_flight.headers["retry-after"] == "1"
    assert batch.status_code == 207, batch.text
    assert [(r["status"], r["problem"]["status"]) for r in batch.json()["results"]] == [
        ("rejected", 409), ("rejected", 503)]
    for unconfirmed in answers:
        assert_problem(unconfirmed, 503, f"no confirm within {CONFIRM_TIMEOUT_SECONDS}")
        assert int(unconfirmed.headers["retry-after"]) > 0
    assert elapsed < CONFIRM_TIMEOUT_SECONDS + 10  # answered after the timeout, not after the freeze

    # The claims were released: the retries are served afresh, and accepted once the broker confirms
    # (it may still be confirming the first attempt: a 503 until then).
    async def event_retried() -> bool:
        return (await post(stack.notifier, "/v1/events", keys.publisher, event)).status_code == 202

    async def delivery_retried() -> bool:
        return (await post_webhook_async(stack.notifier, pull_request, delivery)).status_code == 202

    await eventually(event_retried, timeout=20, what="the retried event to be accepted")
    await eventually(delivery_retried, timeout=20, what="the retried delivery to be accepted")
    # The frozen attempts reached the broker when it woke, so the event was published twice: the tab
    # shows it once. The batch's other event, answered 503, was published all the same (a client
    # retrying it is served once too).
    await settled(stack.publisher, user, tab)
    shown, scoped = tab.emitted_ids(), f"tests:{event_id}"  # ids are scoped to the key that gave them
    assert shown.count(scoped) == 1 and len(shown) == len(set(shown)) and set(shown) <= {scoped, f"tests:{other_id}"}


async def test_events_accepted_just_before_a_broker_crash_are_shown_after_it(
        stack: Stack, keys: Keys, tabs: Tabs) -> None:
    """SIGKILL, not a clean stop: only what the broker had confirmed, and so synced, survives. Events
    wait in an inbox the notifier declared, in one the chat declared, in a tab's queue, and through a
    group's binding; the binding itself routes an event published after the restart."""
    member, newcomer, group = fresh_user("crash"), fresh_user("newcomer"), f"crash-{uuid.uuid4().hex[:8]}"
    assert (await stack.publisher.group("PUT", group, member)).status_code == 204
    tab = await tabs.open(stack.chat, member)
    await settled(stack.publisher, member, tab)
    await tab.disconnect()

    async def let_go() -> bool:
        return await consumer_count(stack.broker.url, session_queue_name(tab.session_id)) == 0

    await eventually(let_go, what="the chat to let the tab's queue go")
    to_member = await stack.publisher.send({"user": member}, "to the member")
    to_tab = await stack.publisher.send({"user": member, "session": tab.session_id}, "to the tab")
    to_group = await stack.publisher.send({"group": group}, "to the group")
    to_newcomer = await stack.publisher.send({"user": newcomer}, "to a user without an inbox until now")
    stack.broker.kill()  # right after the last 202

    stack.broker.start()
    await processes.notifier_linked(stack.notifier)
    after = await stack.publisher.send({"group": group}, "to the group, after the restart")

    await processes.chat_linked(stack.chat)  # its link can come back later than the notifier's
    await tab.connect()  # the same session: the chat takes up its queue and the member's inbox
    await tabs.ready(tab)
    later = await tabs.open(stack.chat, newcomer)
    await settled(stack.publisher, member, tab)
    await settled(stack.publisher, newcomer, later)
    shown = tab.emitted_ids(connection=2)
    assert Counter(shown) == Counter([to_member, to_tab, to_group, after]), shown
    assert [event for event in shown if event != to_tab] == [to_member, to_group, after]  # the inbox's order
    assert later.emitted_ids() == [to_newcomer]
    assert (await stack.publisher.group("GET", group)).json()["members"] == [member]


async def test_a_tab_that_opens_while_the_broker_is_down_is_served_once_it_is_back(
        stack: Stack, tabs: Tabs) -> None:
    """Before issue #20's fix the tab's connect handler declared on the closed channel and the
    reconnect did not take the tab up after it: this failed in 3 of 4 runs."""
    user = fresh_user("early")
    waiting = await stack.publisher.send({"user": user}, "waiting in the inbox")
    stack.broker.kill()
    try:
        tab = await open_tab(stack.chat.url, await login_by_header(stack.chat.url, user))
        tabs.opened.append(tab)
    finally:
        stack.broker.start()
    await processes.notifier_linked(stack.notifier)
    await tabs.ready(tab, timeout=20)
    await settled(stack.publisher, user, tab)
    assert tab.emitted_ids() == [waiting]
