"""How the schemes read their headers: every entry is looked at, none hides another, and each refusal names
the header it is about (found by mutation testing, tests/README.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from herald.notifier.webhooks import SourceConfig, SourceConfigError, VerificationError, verify_delivery

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]

NOW = 1_715_680_000
BODY = b'{"id": "evt_1"}'
STRIPE_SECRET = "whsec_stripe_key_1"
SW_KEY = b"standard webhooks key 1"
SW_SECRET = "whsec_" + base64.b64encode(SW_KEY).decode()


def at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def stripe_v1(ts: int | str, body: bytes = BODY) -> str:
    return mac(STRIPE_SECRET.encode(), f"{ts}.".encode() + body).hex()


def sw_v1(ts: int, msg_id: str = "msg_1", body: bytes = BODY) -> str:
    return base64.b64encode(mac(SW_KEY, f"{msg_id}.{ts}.".encode() + body)).decode()


def sw_headers(signature: str, ts: int = NOW) -> dict[str, str]:
    return {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": signature}


@pytest.fixture
def stripe(make_source: MakeSource) -> SourceConfig:
    return make_source(verification={"scheme": "stripe", "secrets": [STRIPE_SECRET]})


@pytest.fixture
def standard(make_source: MakeSource) -> SourceConfig:
    return make_source(verification={"scheme": "standard-webhooks", "secrets": [SW_SECRET]})


def refusal(source: SourceConfig, headers: dict[str, str], now: int = NOW) -> str:
    with pytest.raises(VerificationError) as caught:
        verify_delivery(source, BODY, headers, at(now))
    return caught.value.reason


def test_stripe_an_unreadable_v1_entry_does_not_hide_a_valid_one(stripe: SourceConfig) -> None:
    header = f"t={NOW},v1=not-hex,v1={stripe_v1(NOW)}"
    assert verify_delivery(stripe, BODY, {"Stripe-Signature": header}, at(NOW)).delivery_id == "evt_1"


def test_stripe_a_repeated_timestamp_is_not_skipped(stripe: SourceConfig) -> None:
    # The last `t` is the one signed over; an unreadable later one must make the header fail, not vanish.
    header = f"t={NOW},v1={stripe_v1(NOW)},t={NOW}=1"
    assert refusal(stripe, {"Stripe-Signature": header}) == "Stripe-Signature does not match the body"


@pytest.mark.parametrize(("offset", "reason"), [
    (-301, "timestamp in Stripe-Signature header is too old (more than 300 s)"),
    (301, "timestamp in Stripe-Signature header is in the future (more than 300 s)"),
])
def test_stripe_clock_skew_names_its_header(stripe: SourceConfig, offset: int, reason: str) -> None:
    header = f"t={NOW + offset},v1={stripe_v1(NOW + offset)}"
    assert refusal(stripe, {"Stripe-Signature": header}) == reason


@pytest.mark.parametrize("first", ["v1,%%%", "v1a,c2lnbmVk", "v2,c2lnbmVk", "no-comma"])
def test_standard_webhooks_an_entry_it_cannot_use_does_not_hide_a_valid_one(
    standard: SourceConfig, first: str
) -> None:
    headers = sw_headers(f"{first} v1,{sw_v1(NOW)}")
    assert verify_delivery(standard, BODY, headers, at(NOW)).delivery_id == "msg_1"


@pytest.mark.parametrize(("signature", "reason"), [
    ("v1a,c2lnbmVk v2,c2lnbmVk", "malformed webhook-signature header: no v1 signature"),
    ("v1,c2lnbmVk", "webhook-signature does not match the body"),
])
def test_standard_webhooks_refusals_say_what_is_wrong(standard: SourceConfig, signature: str, reason: str) -> None:
    assert refusal(standard, sw_headers(signature)) == reason


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_standard_webhooks_names_the_missing_header(standard: SourceConfig, missing: str) -> None:
    headers = sw_headers(f"v1,{sw_v1(NOW)}")
    del headers[missing]
    assert refusal(standard, headers) == f"missing {missing} header"


@pytest.mark.parametrize(("offset", "reason"), [
    (-301, "timestamp in webhook-timestamp header is too old (more than 300 s)"),
    (301, "timestamp in webhook-timestamp header is in the future (more than 300 s)"),
])
def test_standard_webhooks_clock_skew_names_its_header(standard: SourceConfig, offset: int, reason: str) -> None:
    assert refusal(standard, sw_headers(f"v1,{sw_v1(NOW + offset)}", NOW + offset)) == reason


@pytest.mark.parametrize(("secret", "reason"), [
    # Not base64 as a whole, though its base64 characters alone would decode: the whole secret is checked.
    ("whsec_a2V5!", "a secret is not valid base64 (expected 'whsec_<base64>')"),
    ("whsec_", "a secret decodes to an empty key"),
])
def test_standard_webhooks_secrets_are_checked_at_load(make_source: MakeSource, secret: str, reason: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        make_source(name="s", verification={"scheme": "standard-webhooks", "secrets": [secret]})
    assert str(caught.value) == f"source 's': field 'verification.secrets': {reason}"
