"""Seen webhook deliveries are kept in the notifier's state file, so a replay after a restart is still a duplicate."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.webhook_senders import WebhookSources, github_headers, post_webhook, unique_pull_request

pytestmark = pytest.mark.e2e


def test_a_replay_after_a_notifier_restart_is_still_a_duplicate(
        amqp_url: str, keys: Keys, workdir: Path, webhook_sources: WebhookSources) -> None:
    state_db = workdir / f"restart-{uuid.uuid4().hex[:8]}.sqlite3"
    sources = {"HERALD_WEBHOOK_SOURCES_FILE": str(webhook_sources.file)}
    body, _ = unique_pull_request("someone-unmapped")
    headers = github_headers(webhook_sources.github_new, body)

    with processes.notifier(amqp_url, keys.file, workdir, state_db=state_db, env=sources) as before:
        first = post_webhook(before.url, "github", body, headers)
        assert first.status_code == 202, first.text

    with processes.notifier(amqp_url, keys.file, workdir, state_db=state_db, env=sources) as after:
        replay = post_webhook(after.url, "github", body, headers)
        assert replay.status_code == 200, replay.text
        assert replay.json() == {"id": first.json()["id"], "status": "duplicate"}
