"""An event at every limit of the contract is shown in a real chat tab exactly as sent; one just past a
limit is refused with a problem, and a hostile body never gets a 500 or a 202 the chat cannot read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from herald.contract.events import MAX_BODY_BYTES, MAX_DATA_BYTES, MAX_DATA_DEPTH
from tests.conftest import PASSWORDS, Keys
from tests.support.chat_client import login, open_tab
from tests.support.problems import assert_problem
from tests.support.processes import Service
from tests.support.routing_drivers import fresh_user, tab_ready
from tests.support.waiting import wait_until
from tests.support.webhook_senders import (
    WebhookSources,
    fixture_payload,
    github_headers,
    post_webhook,
    standard_headers,
)

pytestmark = pytest.mark.e2e


def nested(levels: int, inner: Any) -> dict[str, Any]:
    """A `data` object `levels` deep (the object itself is level 1), alternating objects and arrays."""
    value = inner
    for level in range(levels - 1):
        value = [value] if level % 2 else {"k": value}
    return {"deep": value}


def data_at_the_limits() -> dict[str, Any]:
    data = {
        "depth": nested(MAX_DATA_DEPTH - 1, "bottom"),  # with the outer object: MAX_DATA_DEPTH levels
        "unicode": "é 😀 \u202e rtl \u0000 nul \ufeff \U0010ffff \U0001d518 astral",
        "keys": {"": 0, "😀": 1, "a.b": 2},
        # orjson alone would round these to floats; 99 digits is the most a socket.io client reads.
        "integers": [2**64, -(2**63) - 1, 12345678901234567890, 10**99 - 1, -(10**99) + 1],
        "floats": [1.7976931348623157e308, 5e-324, -0.0, 0.1],
        "scalars": [True, False, None, ""],
    }
    room = MAX_DATA_BYTES - len(json.dumps({**data, "pad": ""}, separators=(",", ":"), ensure_ascii=False).encode())
    data["pad"] = "x" * room
    return data


def deep_json(levels: int) -> str:
    """`nested(levels, 1)` as JSON text, written without recursion (Python's json gives up near 1,000)."""
    opening = "".join('{"k":' if level % 2 == 0 else "[" for level in range(levels - 1))
    closing = "".join("}" if level % 2 == 0 else "]" for level in reversed(range(levels - 1)))
    return '{"deep":' + opening + "1" + closing + "}"


async def post(notifier: Service, key: str, path: str, body: Any) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
    async with httpx.AsyncClient(base_url=notifier.url, timeout=30) as http:
        return await http.post(path, content=content,
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})



async def test_an_event_at_every_limit_is_shown_exactly_and_one_past_a_limit_is_refused(
        notifier: Service, chat: Service, keys: Keys, amqp_url: str) -> None:
    tab = await open_tab(chat.url, await login(chat.url, "dave", PASSWORDS["dave"]))
    await tab_ready(amqp_url, tab)
    try:
        marker = uuid.uuid4().hex
        body = f"limits {marker} " + "ü" * ((MAX_BODY_BYTES - len(f"limits {marker} ")) // 2)  # 2 bytes each
        data = data_at_the_limits()
        at_limits = {"target": {"user": "dave"}, "title": "T" * 256, "body": body, "data": data}
        accepted = await post(notifier, keys.publisher, "/v1/events", at_limits)
        assert accepted.status_code == 202, accepted.text
        event_id = accepted.json()["id"]

        over = {**at_limits, "data": {**data, "depth": nested(MAX_DATA_DEPTH, "bottom")}}
        problem = assert_problem(await post(notifier, keys.publisher, "/v1/events", over), 422,
                                 f"data nests deeper than {MAX_DATA_DEPTH} levels")
        assert problem["errors"][0]["field"] == "data"
        too_big = {**at_limits, "data": {**data, "pad": data["pad"] + "x"}}
        assert_problem(await post(notifier, keys.publisher, "/v1/events", too_big), 422,
                       f"the limit is {MAX_DATA_BYTES} bytes")

        after = await post(notifier, keys.publisher, "/v1/events", {"target": {"user": "dave"}, "body": "after"})
        assert after.status_code == 202, after.text
        await wait_until(lambda: after.json()["id"] in tab.shown_ids(), what="dave's tab to show both events")
        shown = [step for step in tab.herald_events() if step["metadata"]["herald_event_id"] == event_id]
        assert len(shown) == 1 and marker in shown[0]["output"]
        assert shown[0]["metadata"]["data"] == data  # every integer exact, every character as sent
        assert tab.shown_ids()[-2:] == [event_id, after.json()["id"]]  # the refused ones took no place
    finally:
        await tab.disconnect()


@pytest.mark.parametrize("levels", [MAX_DATA_DEPTH + 1, 201, 257, 1000, 5000])
async def test_deep_data_is_a_422_alone_and_in_a_batch_where_the_others_are_published(
        notifier: Service, keys: Keys, levels: int) -> None:
    # 201-256 levels used to be a 202 the chat dead-lettered, 257+ a plain-text 500 (in a batch, after the
    # other events were published), and past orjson's 1,024 a 400.
    sink = fresh_user("sink")  # nobody reads these
    deep = f'{{"target": {{"user": "{sink}"}}, "body": "deep", "data": ' + deep_json(levels) + "}"
    assert json.loads(deep_json(30)) == nested(30, 1)  # the text is the structure the other tests build
    assert_problem(await post(notifier, keys.publisher, "/v1/events", deep), 422, "levels")
    good = f'{{"target": {{"user": "{sink}"}}, "body": "fine"}}'
    batch = '{"events": [' + ", ".join([good, deep, good]) + "]}"
    response = await post(notifier, keys.publisher, "/v1/events/batch", batch)
    if levels > 1024:  # past orjson's own depth the batch is not read at all: one problem for the body
        assert_problem(response, 422, "levels")
        return
    assert response.status_code == 207, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["problem"]["status"] == 422 and "levels" in results[1]["problem"]["detail"]


async def test_a_signed_webhook_body_past_the_depth_limit_is_a_400(
        notifier: Service, webhook_sources: WebhookSources) -> None:
    for levels in (65, 5000):  # 5,000 used to be a 500
        body = b'{"a":' * levels + b"1" + b"}" * levels
        response = post_webhook(notifier.url, "deploys", body, standard_headers(webhook_sources.standard, body))
        assert_problem(response, 400, "nests deeper than 64 levels")
    at_limit = json.dumps({"event": "deploy", "data": nested(63, "bottom")}).encode()  # 64 levels in all
    response = post_webhook(notifier.url, "deploys", at_limit, standard_headers(webhook_sources.standard, at_limit))
    assert response.status_code == 202, response.text


async def test_a_signed_payload_its_template_cannot_read_is_shown_generically(
        notifier: Service, webhook_sources: WebhookSources) -> None:
    payload = fixture_payload("github/pull_request_merged.json")
    payload["action"] = ["closed"]  # GitHub's template looked a list up in a set: a TypeError, and a 500
    body = json.dumps(payload).encode()
    headers = github_headers(webhook_sources.github_new, body)
    response = post_webhook(notifier.url, "github", body, headers)
    # Never refused (issue #18): a sender counts a 4xx as a failed delivery.
    assert response.status_code == 202, response.text
    delivery = headers["X-GitHub-Delivery"]
    assert (f"delivery {delivery}: the github template failed (GitHub pull_request: the action is not text); "
            "shown generically") in notifier.output()
