"""The README's statuses not covered beside their endpoint's other tests: the batch's refusals of the
whole body, and a webhook whose signature is checked before its body is parsed.

Each refusal is problem+json and publishes nothing: a sink queue of the test's own, bound to the
routing key of the events' user, counts what reached the broker, up to a marker published last.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from herald.contract.topology import user_routing_key
from tests.conftest import Keys
from tests.support.broker_probe import Sink, sink
from tests.support.problems import assert_problem
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, fresh_user
from tests.support.waiting import eventually
from tests.support.webhook_senders import (
    WebhookSources,
    github_headers,
    post_webhook,
    standard_headers,
    stripe_headers,
)

pytestmark = pytest.mark.e2e

FOUR_MIB = 4 * 1024 * 1024  # HERALD_BATCH_MAX_REQUEST_BYTES' default


@pytest.fixture
async def nobody(amqp_url: str) -> AsyncIterator[tuple[str, Sink]]:
    """A user no queue of Herald's takes events for, and a sink that takes them all."""
    user = fresh_user("refused")
    async with sink(amqp_url, user_routing_key(user)) as at_broker:
        yield user, at_broker


async def published_only_a_marker(publisher: Publisher, user: str, at_broker: Sink) -> None:
    marker = await publisher.send({"user": user}, "marker")

    async def arrived() -> bool:
        return marker in await at_broker.take()

    await eventually(arrived, what="the marker at the broker")
    assert at_broker.ids == [marker]


def batch_of(user: str) -> bytes:
    return json.dumps({"events": [{"target": {"user": user}, "body": "in a refused batch"}]}).encode()


def batch_refusal(refusal: str, user: str, keys: Keys) -> tuple[bytes, dict[str, str], int, str]:
    """The body, headers, status and a phrase of the detail, for each way a batch is refused whole."""
    key = {"Authorization": f"Bearer {keys.publisher}"}
    as_json = {**key, "Content-Type": "application/json"}
    body = batch_of(user)
    return {
        "malformed JSON": (body[:-2], as_json, 400, "not valid JSON"),
        "not JSON": (body, {**key, "Content-Type": "text/plain"}, 415, "application/json"),
        # A valid batch but for its size: refused for the bytes, before anything is parsed.
        "over the byte limit": (body[:-1] + b', "padding": "' + b"x" * FOUR_MIB + b'"}', as_json, 413, "limit"),
        "without a key": (body, {"Content-Type": "application/json"}, 401, "Authorization: Bearer"),
    }[refusal]


@pytest.mark.parametrize("refusal", ["malformed JSON", "not JSON", "over the byte limit", "without a key"])
async def test_a_batch_body_refused_whole_gets_one_problem_and_publishes_nothing(
        notifier: Service, keys: Keys, nobody: tuple[str, Sink], refusal: str) -> None:
    user, at_broker = nobody
    body, headers, status, phrase = batch_refusal(refusal, user, keys)
    async with httpx.AsyncClient(base_url=notifier.url, timeout=30) as http:
        response = await http.post("/v1/events/batch", content=body, headers=headers)
    assert_problem(response, status, phrase)
    await published_only_a_marker(Publisher(notifier, keys), user, at_broker)


def test_a_badly_signed_body_that_is_not_json_is_401_not_400(
        notifier: Service, webhook_sources: WebhookSources) -> None:
    """The signature is checked on the raw bytes before anything parses them: a forged body gets the
    same 401 whatever it holds, and a parser's error never answers a sender who holds no secret.
    Stripe is the decisive case: its delivery id is inside the body."""
    body = b"payload=%7B%22action%22%3A%22opened%22%7D"  # not JSON
    forged = {
        "github": github_headers("not-the-secret", body),
        "stripe": stripe_headers("whsec_not-the-secret", body),
        "deploys": standard_headers("whsec_" + "bm90LXRoZS1zZWNyZXQ=", body),
    }
    for source, headers in forged.items():
        assert_problem(post_webhook(notifier.url, source, body, headers), 401)
    # The same bodies, rightly signed, are the parser's to refuse.
    signed = {
        "github": github_headers(webhook_sources.github_new, body),
        "stripe": stripe_headers(webhook_sources.stripe, body),
        "deploys": standard_headers(webhook_sources.standard, body),
    }
    for source, headers in signed.items():
        assert_problem(post_webhook(notifier.url, source, body, headers), 400, "not valid JSON")
