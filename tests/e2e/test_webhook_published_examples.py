"""Every published example payload, signed as its sender signs, posted to a real notifier that publishes
to a real broker: each is answered 202 (the broker confirmed it) or 200 ignored, never a 4xx or 5xx.

The examples and the outcome each should have: tests/support/published_webhooks.py. What is published
goes to a user nobody logs in as; the unit tests check what each looks like.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.processes import Service
from tests.support.published_webhooks import Example, PublishedSources, published_examples, write_published_sources

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 180  # ~1,000 deliveries; about 20 s on an idle machine with two cores
CONCURRENCY = 8


@pytest.fixture(scope="module")
def published(workdir: Path) -> PublishedSources:
    return write_published_sources(workdir / "published-sources.toml", f"published-sink-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def notifier_for_published(amqp_url: str, keys: Keys, workdir: Path, published: PublishedSources) -> Iterator[Service]:
    with processes.notifier(amqp_url, keys.file, workdir,
                            env={"HERALD_WEBHOOK_SOURCES_FILE": str(published.file)}) as service:
        yield service


async def test_every_published_example_is_accepted_or_ignored(
        notifier_for_published: Service, published: PublishedSources) -> None:
    examples = published_examples()
    gate = asyncio.Semaphore(CONCURRENCY)
    answers: dict[int, tuple[httpx.Response, str | None]] = {}

    async def post(http: httpx.AsyncClient, index: int, example: Example) -> None:
        headers = published.headers(example)
        async with gate:
            response = await http.post(f"/v1/webhooks/{example.sender}", content=example.body, headers=headers)
        answers[index] = (response, headers.get("X-GitHub-Delivery"))

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=notifier_for_published.url, timeout=30) as http:
        await asyncio.wait_for(asyncio.gather(*(post(http, i, e) for i, e in enumerate(examples))),
                               DEADLINE_SECONDS)
    elapsed = time.monotonic() - started

    wrong = []
    for index, example in enumerate(examples):
        response, _ = answers[index]
        ignored = example.expected() == "ignored"
        expected_status, expected_word = (200, "ignored") if ignored else (202, "accepted")
        if (response.status_code, response.json().get("status")) != (expected_status, expected_word):
            wrong.append(f"{example.label()}: {response.status_code} {response.text[:200]}")
    assert wrong == [], f"{len(wrong)} of {len(examples)} answered wrongly:\n" + "\n".join(wrong[:20])

    # A delivery shown generically is logged with the template and the reason.
    log = notifier_for_published.output()
    for index, example in enumerate(examples):
        if example.expected() == "generic":
            delivery = answers[index][1]
            assert (f"webhook github: delivery {delivery}: the github template failed (GitHub {example.kind}: "
                    "neither a repository nor an organization in the payload); shown generically") in log
    print(f"{len(examples)} published examples answered in {elapsed:.1f} s")
