"""Seen webhook deliveries are kept in the notifier's state file, so a replay after a restart is still a duplicate."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from herald.contract.topology import user_routing_key
from tests.conftest import Keys
from tests.support import processes
from tests.support.broker_probe import sink
from tests.support.routing_drivers import Publisher
from tests.support.waiting import eventually
from tests.support.webhook_senders import WebhookSources, github_headers, post_webhook, unique_pull_request

pytestmark = pytest.mark.e2e


async def test_a_replay_after_a_notifier_restart_is_still_a_duplicate_and_publishes_nothing(
        amqp_url: str, keys: Keys, workdir: Path, webhook_sources: WebhookSources) -> None:
    state_db = workdir / f"restart-{uuid.uuid4().hex[:8]}.sqlite3"
    sources = {"HERALD_WEBHOOK_SOURCES_FILE": str(webhook_sources.file)}
    body, _ = unique_pull_request("someone-unmapped")  # the sources' sink user gets it
    headers = github_headers(webhook_sources.github_new, body)

    with processes.notifier(amqp_url, keys.file, workdir, state_db=state_db, env=sources) as before:
        first = post_webhook(before.url, "github", body, headers)
        assert first.status_code == 202, first.text

    # The first delivery made the sink user's inbox; a queue of the test's own beside it counts what
    # is published from now on.
    async with sink(amqp_url, user_routing_key(webhook_sources.sink)) as at_broker:
        with processes.notifier(amqp_url, keys.file, workdir, state_db=state_db, env=sources) as after:
            replay = post_webhook(after.url, "github", body, headers)
            assert replay.status_code == 200, replay.text
            assert replay.json() == {"id": first.json()["id"], "status": "duplicate"}
            marker = await Publisher(after, keys).send({"user": webhook_sources.sink}, "marker")

            async def marker_arrived() -> bool:
                return marker in await at_broker.take()

            await eventually(marker_arrived, what="the marker at the broker")
        assert at_broker.ids == [marker]  # the replay published nothing
