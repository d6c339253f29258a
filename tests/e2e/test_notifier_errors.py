"""Every error the notifier answers is problem+json with a detail a person can act on, and changes nothing."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.rabbitmq_node import free_port
from tests.conftest import Keys
from tests.support import processes
from tests.support.problems import assert_problem
from tests.support.processes import Service

pytestmark = pytest.mark.e2e

GOOD = {"target": {"user": "alice"}, "body": "hi"}


CHUNK = 64 * 1024
EARLY_ANSWER_WINDOW_SECONDS = 1.0


def post(service: Service, key: str | None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    headers.update(kwargs.pop("headers", {}))  # type: ignore[arg-type]
    return httpx.post(f"{service.url}/v1/events", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]



@pytest.fixture(scope="module")
def notifier_without_broker(keys: Keys, workdir: Path) -> Iterator[Service]:
    dead_broker = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    with processes.notifier(dead_broker, keys.file, workdir, ready_path="/healthz") as service:
        yield service


def test_malformed_json_is_400(notifier: Service, keys: Keys) -> None:
    response = post(notifier, keys.publisher, content=b'{"target": ', headers={"content-type": "application/json"})
    assert_problem(response, 400, "not valid JSON")


def test_missing_and_unknown_keys_are_401(notifier: Service) -> None:
    assert_problem(post(notifier, None, json=GOOD), 401, "Authorization: Bearer")
    unknown = post(notifier, "hk_not-a-real-key", json=GOOD)
    assert_problem(unknown, 401, "not known")
    assert unknown.headers["www-authenticate"].startswith("Bearer")


def test_a_key_without_the_scope_is_403(notifier: Service, keys: Keys) -> None:
    assert_problem(post(notifier, keys.no_scope, json=GOOD), 403, "events:publish", "reader")


def test_an_oversized_body_is_413(notifier: Service, keys: Keys) -> None:
    huge = {"target": {"user": "alice"}, "body": "x" * 100_000}
    assert_problem(post(notifier, keys.publisher, json=huge), 413, "limit")


@pytest.mark.parametrize("declared", [True, False], ids=["declared size", "chunked"])
def test_an_oversized_body_still_being_sent_gets_its_413_not_a_reset(notifier: Service, keys: Keys,
                                                                     declared: bool) -> None:
    """A client still sending an oversized body on a `Connection: close` request, as nginx does (it writes
    the whole body upstream before it reads the answer, and answers 502 when the write fails), can send it
    all and then read the 413: the notifier reads such a body to its end before it answers, rather than
    closing a connection with unread bytes, which the kernel resets. Without that, the declared-size case
    fails with a ConnectionResetError."""
    host, port = notifier.url.removeprefix("http://").split(":")
    body = b"x" * (1024 * 1024)
    framing = f"Content-Length: {len(body)}" if declared else "Transfer-Encoding: chunked"
    payload = body if declared else b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    head = (f"POST /v1/events HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            f"Authorization: Bearer {keys.publisher}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head + payload[:CHUNK])
        # A notifier that answers before the body's end has answered and closed within this window.
        select.select([connection], [], [], EARLY_ANSWER_WINDOW_SECONDS)
        for offset in range(CHUNK, len(payload), CHUNK):
            connection.sendall(payload[offset:offset + CHUNK])  # raises on a reset connection
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_body_over_16_kib_is_a_named_422(notifier: Service, keys: Keys) -> None:
    big = {"target": {"user": "alice"}, "body": "x" * (16 * 1024 + 1)}
    problem = assert_problem(post(notifier, keys.publisher, json=big), 422, "body", "16384")
    message = "Value error, body is 16385 bytes; the limit is 16384 bytes"
    assert problem["errors"] == [{"field": "body", "message": message}]


def test_a_non_json_body_is_415(notifier: Service, keys: Keys) -> None:
    response = post(notifier, keys.publisher, content=b"target=alice", headers={"content-type": "text/plain"})
    assert_problem(response, 415, "application/json", "text/plain")


@pytest.mark.parametrize(("event", "field"), [
    ({"target": {"user": "al ice"}, "body": "x"}, "target.user"),
    ({"target": {"user": "alice"}}, "body"),
    ({"target": {"user": "alice"}, "body": "x", "severity": "panic"}, "severity"),
    ({"target": {"user": "alice"}, "body": "x", "source": "forged"}, "source"),
    ({"target": {"nobody": True}, "body": "x"}, "target"),
    ({"target": {"user": "alice"}, "body": "x", "ttl_seconds": -5}, "ttl_seconds"),
])
def test_a_schema_violation_is_422_naming_the_field(
        notifier: Service, keys: Keys, event: dict[str, object], field: str) -> None:
    problem = assert_problem(post(notifier, keys.publisher, json=event), 422, field)
    assert any(error["field"].startswith(field) for error in problem["errors"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/batch"])
def test_an_idempotency_key_over_255_characters_is_a_named_422(notifier: Service, keys: Keys, path: str) -> None:
    body = {"events": [GOOD]} if path.endswith("batch") else GOOD
    headers = {"Authorization": f"Bearer {keys.publisher}"}
    too_long = httpx.post(f"{notifier.url}{path}", json=body, timeout=10,
                          headers={**headers, "Idempotency-Key": "k" * 256})
    problem = assert_problem(too_long, 422, "Idempotency-Key", "255")
    assert problem["errors"] == [{"field": "Idempotency-Key", "message": "at most 255 characters (got 256)"}]
    longest = httpx.post(f"{notifier.url}{path}", json=body, timeout=10,
                         headers={**headers, "Idempotency-Key": "k" * 255})
    assert longest.status_code == 202, longest.text


def test_an_unreachable_broker_is_503_with_retry_after(notifier_without_broker: Service, keys: Keys) -> None:
    assert httpx.get(f"{notifier_without_broker.url}/healthz").status_code == 200
    ready = httpx.get(f"{notifier_without_broker.url}/readyz")
    assert_problem(ready, 503, "not connected")
    response = post(notifier_without_broker, keys.publisher, json=GOOD)
    assert_problem(response, 503, "Retry later")
    assert int(response.headers["retry-after"]) > 0


def test_the_openapi_docs_are_served(notifier: Service) -> None:
    assert httpx.get(f"{notifier.url}/docs").status_code == 200
    schema = httpx.get(f"{notifier.url}/openapi.json").json()
    ref = schema["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert "UserTarget" in schema["components"]["schemas"]
    assert "target" in body["properties"]
    [idempotency_key] = schema["paths"]["/v1/events"]["post"]["parameters"]
    assert idempotency_key["name"] == "Idempotency-Key" and idempotency_key["in"] == "header"
