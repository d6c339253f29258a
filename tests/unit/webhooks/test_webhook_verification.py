"""Each scheme refuses what it must, with a reason that never echoes a secret or a signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from herald.notifier.webhooks import PayloadError, SourceConfig, VerificationError, verify_delivery

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]

NOW = 1_715_680_000
BODY = b'{"id": "evt_1", "data": {"id": "obj_9", "n": 7}}'
OLD, NEW = "old-secret-1", "new-secret-2"
SW_OLD, SW_NEW = (
    "whsec_" + base64.b64encode(b"old key 0123456789").decode(),
    "whsec_" + base64.b64encode(b"new key 0123456789").decode(),
)


def at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def github_headers(secret: str, body: bytes = BODY) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + mac(secret.encode(), body).hex(), "X-GitHub-Delivery": "d-1"}


def stripe_headers(secret: str, body: bytes = BODY, ts: int = NOW) -> dict[str, str]:
    return {"Stripe-Signature": f"t={ts},v1={mac(secret.encode(), f'{ts}.'.encode() + body).hex()}"}


def sw_headers(secret: str, body: bytes = BODY, ts: int = NOW) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signature = base64.b64encode(mac(key, f"msg_1.{ts}.".encode() + body)).decode()
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": f"v1,{signature}"}


def hmac_headers(secret: str, body: bytes = BODY) -> dict[str, str]:
    return {"X-Signature": "sha256=" + base64.b64encode(mac(secret.encode(), body)).decode()}


def token_headers(secret: str, body: bytes = BODY) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


VERIFICATION = {
    "github": {"scheme": "github", "secrets": [OLD, NEW]},
    "stripe": {"scheme": "stripe", "secrets": [OLD, NEW]},
    "standard-webhooks": {"scheme": "standard-webhooks", "secrets": [SW_OLD, SW_NEW]},
    "hmac-sha256": {
        "scheme": "hmac-sha256",
        "header": "X-Signature",
        "encoding": "base64",
        "prefix": "sha256=",
        "secrets": [OLD, NEW],
    },
    "token": {"scheme": "token", "header": "Authorization", "prefix": "Bearer ", "secrets": [OLD, NEW]},
}
SIGNERS: dict[str, Callable[..., dict[str, str]]] = {
    "github": github_headers,
    "stripe": stripe_headers,
    "standard-webhooks": sw_headers,
    "hmac-sha256": hmac_headers,
    "token": token_headers,
}
SECRETS = {"standard-webhooks": (SW_OLD, SW_NEW)}
SCHEMES = list(VERIFICATION)
DELIVERY_IDS = {"github": "d-1", "stripe": "evt_1", "standard-webhooks": "msg_1", "hmac-sha256": None, "token": None}
TIMESTAMPED = ["stripe", "standard-webhooks"]


def secrets_of(scheme: str) -> tuple[str, str]:
    return SECRETS.get(scheme, (OLD, NEW))


def verify(
    make_source: MakeSource, scheme: str, body: bytes, headers: dict[str, str], now: int = NOW
) -> str | None:
    return verify_delivery(make_source(verification=VERIFICATION[scheme]), body, headers, at(now)).delivery_id


def refused(
    make_source: MakeSource, scheme: str, body: bytes, headers: dict[str, str], now: int = NOW
) -> str:
    with pytest.raises(VerificationError) as caught:
        verify(make_source, scheme, body, headers, now)
    reason = caught.value.reason
    # Short values (ids, "v1") may legitimately appear as words; signatures and secrets may not.
    for leaked in (*secrets_of(scheme), *(v for v in headers.values() if len(v) > 8)):
        assert leaked not in reason
    return reason


@pytest.mark.parametrize("scheme", SCHEMES)
def test_both_secrets_verify_while_rotating(make_source: MakeSource, scheme: str) -> None:
    expected = DELIVERY_IDS[scheme]
    assert [verify(make_source, scheme, BODY, SIGNERS[scheme](secret)) for secret in secrets_of(scheme)] == [
        expected, expected]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_secret_no_longer_configured_is_refused(make_source: MakeSource, scheme: str) -> None:
    retired = (
        "whsec_" + base64.b64encode(b"retired key 98765").decode() if scheme == "standard-webhooks" else "x"
    )
    reason = refused(make_source, scheme, BODY, SIGNERS[scheme](retired))
    assert "does not match" in reason or "does not hold a valid token" in reason


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s != "token"])
def test_a_tampered_body_is_refused(make_source: MakeSource, scheme: str) -> None:
    headers = SIGNERS[scheme](secrets_of(scheme)[0])
    reason = refused(make_source, scheme, BODY.replace(b"7", b"8"), headers)
    assert "does not match" in reason


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_missing_header_is_refused(make_source: MakeSource, scheme: str) -> None:
    assert refused(make_source, scheme, BODY, {}).startswith("missing ")


@pytest.mark.parametrize(
    ("scheme", "headers"),
    [
        ("github", {"X-Hub-Signature-256": "sha1=abc"}),
        ("github", {"X-Hub-Signature-256": "sha256=not-hex"}),
        ("github", {"X-Hub-Signature-256": "sha256=ünïcödé"}),
        ("stripe", {"Stripe-Signature": "t=١٧١٥٦٨٠٠٠٠,v1=ünïcödé"}),
        ("stripe", {"Stripe-Signature": "garbage"}),
        ("stripe", {"Stripe-Signature": f"v1={'ab' * 32}"}),
        ("stripe", {"Stripe-Signature": f"t={NOW},v0={'ab' * 32}"}),
        ("standard-webhooks", {"webhook-id": "m", "webhook-timestamp": str(NOW), "webhook-signature": "v1"}),
        (
            "standard-webhooks",
            {"webhook-id": "m", "webhook-timestamp": str(NOW), "webhook-signature": "v1,%%%"},
        ),
        ("hmac-sha256", {"X-Signature": "md5=abc"}),
        ("hmac-sha256", {"X-Signature": "sha256=***"}),
        ("token", {"Authorization": "Basic dXNlcjpwYXNz"}),
    ],
)
def test_a_malformed_header_is_refused(make_source: MakeSource, scheme: str, headers: dict[str, str]) -> None:
    assert "malformed" in refused(make_source, scheme, BODY, headers)


@pytest.mark.parametrize("scheme", TIMESTAMPED)
@pytest.mark.parametrize(("offset", "word"), [(-301, "too old"), (301, "in the future")])
def test_timestamps_outside_five_minutes_are_refused(
    make_source: MakeSource, scheme: str, offset: int, word: str
) -> None:
    headers = SIGNERS[scheme](secrets_of(scheme)[0], BODY, NOW + offset)
    assert word in refused(make_source, scheme, BODY, headers, now=NOW)


@pytest.mark.parametrize("scheme", TIMESTAMPED)
@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamps_at_the_edge_of_the_window_verify(
    make_source: MakeSource, scheme: str, offset: int
) -> None:
    headers = SIGNERS[scheme](secrets_of(scheme)[0], BODY, NOW + offset)
    assert verify(make_source, scheme, BODY, headers) == DELIVERY_IDS[scheme]
    # One second further out is refused: the edge is where the test says it is.
    beyond = NOW + offset + (1 if offset > 0 else -1)
    refused(make_source, scheme, BODY, SIGNERS[scheme](secrets_of(scheme)[0], BODY, beyond))


def test_a_non_numeric_signed_timestamp_is_refused(make_source: MakeSource) -> None:
    headers = sw_headers(SW_OLD)
    key = base64.b64decode(SW_OLD.removeprefix("whsec_"))
    headers["webhook-timestamp"] = "1e9"
    headers["webhook-signature"] = "v1," + base64.b64encode(mac(key, b"msg_1.1e9." + BODY)).decode()
    assert "malformed timestamp" in refused(make_source, "standard-webhooks", BODY, headers)


def test_header_names_are_case_insensitive(make_source: MakeSource) -> None:
    headers = {k.upper(): v for k, v in github_headers(OLD).items()}
    assert verify(make_source, "github", BODY, headers) == "d-1"


def test_hex_encoding_without_prefix(make_source: MakeSource) -> None:
    plain = make_source(verification={"scheme": "hmac-sha256", "header": "X-Sig", "secrets": [OLD]})
    signature = mac(OLD.encode(), BODY).hex().upper()
    assert verify_delivery(plain, BODY, {"X-Sig": signature}).body == BODY
    with pytest.raises(VerificationError, match="does not match"):
        verify_delivery(plain, BODY, {"X-Sig": mac(NEW.encode(), BODY).hex().upper()})


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [("github", "d-1"), ("stripe", "evt_1"), ("standard-webhooks", "msg_1"), ("token", None)],
)
def test_each_scheme_names_its_delivery(make_source: MakeSource, scheme: str, expected: str | None) -> None:
    assert verify(make_source, scheme, BODY, SIGNERS[scheme](secrets_of(scheme)[0])) == expected


def test_a_configured_json_path_names_the_delivery(make_source: MakeSource) -> None:
    by_path = make_source(verification=VERIFICATION["token"], delivery_id_path="data.n")
    assert verify_delivery(by_path, BODY, token_headers(OLD)).delivery_id == "7"


def test_a_configured_header_names_the_delivery(make_source: MakeSource) -> None:
    by_header = make_source(verification=VERIFICATION["token"], delivery_id_header="X-Request-Id")
    headers = {**token_headers(OLD), "x-request-id": "req-5"}
    assert verify_delivery(by_header, BODY, headers).delivery_id == "req-5"


@pytest.mark.parametrize(
    ("table", "headers", "reason"),
    [
        ({"delivery_id_path": "data.missing"}, {}, "no delivery id at 'data.missing'"),
        ({"delivery_id_path": "data"}, {}, "not a string or an integer"),
        ({"delivery_id_header": "X-Request-Id"}, {}, "missing x-request-id header"),
    ],
)
def test_an_authentic_delivery_without_its_id_is_unprocessable(
    make_source: MakeSource, table: dict[str, str], headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(PayloadError, match=reason):
        source = make_source(verification=VERIFICATION["token"], **table)
        verify_delivery(source, BODY, {**token_headers(OLD), **headers})


def test_stripe_without_an_event_id_is_unprocessable(make_source: MakeSource) -> None:
    body = b"not json"
    with pytest.raises(PayloadError, match="cannot read the delivery id: the body is not valid JSON"):
        verify(make_source, "stripe", body, stripe_headers(OLD, body))


def test_credential_headers_are_hidden_from_templates(make_source: MakeSource) -> None:
    headers = {**token_headers(OLD), "Cookie": "s=1", "X-Hub-Signature-256": "sha256=00", "X-Other": "kept"}
    delivery = verify_delivery(make_source(verification=VERIFICATION["token"]), BODY, headers)
    assert delivery.headers == {"x-hub-signature-256": "sha256=00", "x-other": "kept"}
    github = verify_delivery(make_source(verification=VERIFICATION["github"]), BODY, github_headers(OLD))
    assert "x-hub-signature-256" not in github.headers
