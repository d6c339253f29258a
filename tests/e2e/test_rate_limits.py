"""Rate limits at a real notifier: 429 with the RateLimit fields past a key's or source's burst, the
bucket refilling after, and floods of failed authentication limited by address without spending any
real key's or source's budget."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from herald.notifier.api_keys import PUBLISH_EVENTS, config_entry, new_key
from herald.notifier.rate_limits import QUOTA_EXCEEDED, RateLimit
from tests.support import processes
from tests.support.processes import Service
from tests.support.waiting import eventually
from tests.support.webhook_senders import standard_headers

pytestmark = pytest.mark.e2e

# Slow enough that a loaded machine cannot refill a token between a test's requests.
KEY_LIMIT = RateLimit(per_second=0.5, burst=3)
SOURCE_LIMIT = RateLimit(per_second=0.5, burst=2)
FAILED_AUTH = {"HERALD_FAILED_AUTH_PER_SECOND": "0.5", "HERALD_FAILED_AUTH_BURST": "4"}


@dataclass(frozen=True)
class Limited:
    notifier: Service
    limited_key: str  # KEY_LIMIT
    steady_key: str  # the notifier's default limit
    source_secret: str  # of the webhook source "paced", SOURCE_LIMIT


@pytest.fixture
def limited(amqp_url: str, workdir: Path) -> Iterator[Limited]:
    """A notifier of its own per test: its buckets start full, whatever the other tests spent."""
    run = uuid.uuid4().hex[:8]
    limited_key, steady_key = new_key(), new_key()
    keys_file = workdir / f"limits-keys-{run}.toml"
    keys_file.write_text(config_entry("limited", limited_key, [PUBLISH_EVENTS], KEY_LIMIT)
                         + config_entry("steady", steady_key, [PUBLISH_EVENTS]))
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    sources_file = workdir / f"limits-sources-{run}.toml"
    sources_file.write_text(f"""
[sources.paced]
verification = {{ scheme = "standard-webhooks", secrets = ["{secret}"] }}
default_target = "limits-sink-{run}"
rate_limit = {{ per_second = {SOURCE_LIMIT.per_second}, burst = {SOURCE_LIMIT.burst} }}
""")
    env = {"HERALD_WEBHOOK_SOURCES_FILE": str(sources_file), **FAILED_AUTH}
    with processes.notifier(amqp_url, keys_file, workdir, env=env) as notifier:
        yield Limited(notifier, limited_key, steady_key, secret)


async def publish(http: httpx.AsyncClient, key: str) -> httpx.Response:
    event = {"target": {"user": f"limits-sink-{uuid.uuid4().hex[:8]}"}, "body": "rate-limited"}
    return await http.post("/v1/events", json=event, headers={"Authorization": f"Bearer {key}"})


async def deliver(http: httpx.AsyncClient, secret: str, source: str = "paced") -> httpx.Response:
    body = json.dumps({"title": "deploy", "text": uuid.uuid4().hex}).encode()
    return await http.post(f"/v1/webhooks/{source}", content=body, headers=standard_headers(secret, body))


def assert_refused(response: httpx.Response, policy: str, limit: RateLimit) -> int:
    """The 429 is problem+json with Retry-After and the draft's two fields; returns Retry-After."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == QUOTA_EXCEEDED and problem["violated-policies"] == [policy]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 1 / limit.per_second
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={limit.burst};w={limit.window_seconds()}'
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry_after}'
    return retry_after


async def test_a_key_past_its_burst_is_answered_429_and_passes_again_once_its_bucket_refills(
        limited: Limited) -> None:
    async with httpx.AsyncClient(base_url=limited.notifier.url, timeout=10) as http:
        assert [(await publish(http, limited.limited_key)).status_code for _ in range(KEY_LIMIT.burst)] == [202] * 3
        refused = await publish(http, limited.limited_key)
        retry_after = assert_refused(refused, "api-key", KEY_LIMIT)
        assert (await publish(http, limited.steady_key)).status_code == 202  # another key's budget is its own
        refused_at = time.monotonic()

        async def passes() -> bool:
            return (await publish(http, limited.limited_key)).status_code == 202

        await eventually(passes, timeout=retry_after + 5, what="the key's bucket to refill")
        assert time.monotonic() - refused_at <= retry_after + 1


async def test_a_flood_of_unknown_keys_is_answered_429_while_a_real_key_still_passes(limited: Limited) -> None:
    burst = int(FAILED_AUTH["HERALD_FAILED_AUTH_BURST"])
    async with httpx.AsyncClient(base_url=limited.notifier.url, timeout=10) as http:
        started = time.monotonic()
        statuses = [(await publish(http, new_key())).status_code for _ in range(30)]
        refilled = int((time.monotonic() - started) * float(FAILED_AUTH["HERALD_FAILED_AUTH_PER_SECOND"])) + 1
        assert set(statuses) == {401, 429}
        assert burst <= statuses.count(401) <= burst + refilled
        assert statuses[:burst] == [401] * burst
        no_key = await http.post("/v1/events", json={})
        assert_refused(no_key, "unauthenticated", RateLimit(per_second=0.5, burst=burst))
        # From the same address, in the middle of the flood: the real keys were never charged for it.
        assert [(await publish(http, limited.limited_key)).status_code for _ in range(KEY_LIMIT.burst)] == [202] * 3
        assert (await publish(http, limited.steady_key)).status_code == 202

        async def answered_401_again() -> bool:
            return (await publish(http, new_key())).status_code == 401

        await eventually(answered_401_again, timeout=10, what="the address's bucket to refill")


async def test_a_source_past_its_burst_is_answered_429_and_bad_signatures_cannot_spend_its_budget(
        limited: Limited) -> None:
    burst = int(FAILED_AUTH["HERALD_FAILED_AUTH_BURST"])
    forged = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    async with httpx.AsyncClient(base_url=limited.notifier.url, timeout=10) as http:
        statuses = [(await deliver(http, forged)).status_code for _ in range(burst + 4)]
        assert statuses[:burst] == [401] * burst and statuses[-1] == 429
        assert (await deliver(http, limited.source_secret, source="no-such-source")).status_code == 429  # probing too
        # The forgeries spent the sender address's budget for failures, not the source's.
        accepted = [(await deliver(http, limited.source_secret)).status_code for _ in range(SOURCE_LIMIT.burst)]
        assert accepted == [202] * SOURCE_LIMIT.burst
        retry_after = assert_refused(await deliver(http, limited.source_secret), "webhook-source", SOURCE_LIMIT)

        async def passes() -> bool:
            return (await deliver(http, limited.source_secret)).status_code == 202

        await eventually(passes, timeout=retry_after + 5, what="the source's bucket to refill")
