"""A signed GitHub delivery ends as exactly one message in the mapped user's live chat, retries included."""

from __future__ import annotations

import uuid

import httpx
import pytest

from herald.contract.topology import user_routing_key
from tests.conftest import PASSWORDS, Keys
from tests.support.broker_probe import sink
from tests.support.chat_client import login, open_tab
from tests.support.processes import Service
from tests.support.routing_drivers import tab_ready
from tests.support.waiting import wait_until
from tests.support.webhook_senders import WebhookSources, github_headers, unique_pull_request

pytestmark = pytest.mark.e2e


async def test_a_pull_request_reaches_daves_tab_once_and_its_retry_adds_nothing(
        notifier: Service, chat: Service, keys: Keys, webhook_sources: WebhookSources, amqp_url: str) -> None:
    dave = await open_tab(chat.url, await login(chat.url, "dave", PASSWORDS["dave"]))
    await tab_ready(amqp_url, dave)  # dave's inbox exists: the sink is not the only queue for his key
    try:
        body, marker = unique_pull_request()  # authored by dave's GitHub login, which the source maps to dave
        headers = github_headers(webhook_sources.github_new, body)
        # What reached the broker, counted beside dave's inbox: his tab would swallow a repeated id.
        async with httpx.AsyncClient(base_url=notifier.url) as http, \
                sink(amqp_url, user_routing_key("dave")) as at_broker:
            first = await http.post("/v1/webhooks/github", content=body, headers=headers)
            assert first.status_code == 202, first.text
            event_id = first.json()["id"]
            await wait_until(lambda: event_id in dave.event_ids(), what="the pull request in dave's tab")

            retry = await http.post("/v1/webhooks/github", content=body, headers=headers)
            assert retry.status_code == 200, retry.text
            assert retry.json() == {"id": event_id, "status": "duplicate"}

            # Published after the retry into the same inbox: once it shows, anything the retry had
            # published would have shown before it.
            later = await http.post("/v1/events", headers={"Authorization": f"Bearer {keys.publisher}"},
                                    json={"target": {"user": "dave"}, "body": f"after the retry {uuid.uuid4()}"})
            assert later.status_code == 202, later.text
            await wait_until(lambda: later.json()["id"] in dave.event_ids(), what="the later event")
            assert await at_broker.take() == [event_id, later.json()["id"]]

        assert dave.emitted_ids().count(event_id) == 1
        [shown] = [step for step in dave.herald_events() if marker in step["output"]]
        assert shown["metadata"]["herald_event_id"] == event_id
        assert shown["name"] == "webhook:github"
        assert "PR #42 merged" in shown["output"] and "bob-ops" in shown["output"]
    finally:
        await dave.disconnect()
