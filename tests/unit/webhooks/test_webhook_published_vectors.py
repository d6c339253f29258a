"""The signature examples the senders publish must verify unchanged.

- GitHub: docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries, "Testing the
  webhook payload validation".
- Standard Webhooks: the reference library's own test, standard-webhooks/standard-webhooks
  libraries/python/tests/test_webhooks.py::test_sign_function (the same vector appears in the other
  reference libraries).
- Stripe publishes no complete vector: its docs show a header (t=1492774577, v1=5257a8..., v0=...)
  but neither the secret nor the payload behind it. The Stripe vector below is BUILT FROM THE SPEC:
  the docs' timestamp, stripe-python's test secret and payload (tests/test_webhook.py), and the
  signature computed independently with `openssl dgst -sha256 -hmac`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from herald.notifier.webhooks import SourceConfig, VerificationError, verify_delivery

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]

GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TIMESTAMP = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

STRIPE_SECRET = "whsec_test_secret"
STRIPE_TIMESTAMP = 1492774577
STRIPE_BODY = b'{"id": "evt_test_webhook", "object": "event"}'
STRIPE_V1 = "c137b1b62277d523cf8fed4dfbd0170a9a5b8a380e00cc3711d4bf0652f2ce7a"  # openssl, see above
STRIPE_DOCS_V0 = "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"


def at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def test_github_docs_example_verifies(make_source: MakeSource) -> None:
    github = make_source(verification={"scheme": "github", "secrets": [GITHUB_SECRET]})
    delivery = verify_delivery(
        github,
        b"Hello, World!",
        {
            "X-Hub-Signature-256": GITHUB_SIGNATURE,
            "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        },
    )
    assert delivery.delivery_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"


@pytest.mark.parametrize("secret", [SW_SECRET, SW_SECRET.removeprefix("whsec_")])
def test_standard_webhooks_reference_vector_verifies(make_source: MakeSource, secret: str) -> None:
    sw = make_source(verification={"scheme": "standard-webhooks", "secrets": [secret]})
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": SW_SIGNATURE}
    assert verify_delivery(sw, SW_BODY, headers, now=at(SW_TIMESTAMP)).delivery_id == SW_ID


def test_standard_webhooks_reference_multi_signature_header_verifies(make_source: MakeSource) -> None:
    # The reference tests' rotation case: unknown versions and stale v1 entries around the valid one.
    sw = make_source(verification={"scheme": "standard-webhooks", "secrets": [SW_SECRET]})
    signatures = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            SW_SIGNATURE,
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        ]
    )
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": signatures}
    assert verify_delivery(sw, SW_BODY, headers, now=at(SW_TIMESTAMP)).delivery_id == SW_ID
    without_the_valid_one = signatures.replace(SW_SIGNATURE, "")
    with pytest.raises(VerificationError):
        verify_delivery(sw, SW_BODY, {**headers, "webhook-signature": without_the_valid_one}, now=at(SW_TIMESTAMP))


def test_what_the_standardwebhooks_package_signs_verifies(make_source: MakeSource) -> None:
    # The installed reference implementation as an independent signer, on a fresh message.
    body = '{"type": "invoice.paid", "data": {"amount": 4900}}'
    signed_at = at(1715680000)
    signature = Webhook(SW_SECRET).sign(msg_id="msg_2fJ8", timestamp=signed_at, data=body)
    sw = make_source(verification={"scheme": "standard-webhooks", "secrets": [SW_SECRET]})
    headers = {"webhook-id": "msg_2fJ8", "webhook-timestamp": "1715680000", "webhook-signature": signature}
    delivery = verify_delivery(sw, body.encode(), headers, now=signed_at + timedelta(seconds=299))
    assert (delivery.delivery_id, delivery.body) == ("msg_2fJ8", body.encode())
    with pytest.raises(VerificationError):
        verify_delivery(sw, body.encode(), {**headers, "webhook-id": "msg_other"}, now=signed_at)


def test_spec_built_stripe_vector_verifies_and_ignores_v0(make_source: MakeSource) -> None:
    assert (
        hmac.new(
            STRIPE_SECRET.encode(), f"{STRIPE_TIMESTAMP}.".encode() + STRIPE_BODY, hashlib.sha256
        ).hexdigest()
        == STRIPE_V1
    )
    stripe = make_source(verification={"scheme": "stripe", "secrets": [STRIPE_SECRET]})
    header = f"t={STRIPE_TIMESTAMP},v1={'0' * 64},v1={STRIPE_V1},v0={STRIPE_DOCS_V0}"
    delivery = verify_delivery(
        stripe, STRIPE_BODY, {"Stripe-Signature": header}, now=at(STRIPE_TIMESTAMP + 10)
    )
    assert delivery.delivery_id == "evt_test_webhook"


def test_the_key_is_the_base64_decoded_secret_not_the_whsec_string(make_source: MakeSource) -> None:
    # Guards the one easy mistake: keying the HMAC with the whsec_ string instead of the decoded key.
    sw = make_source(verification={"scheme": "standard-webhooks", "secrets": [SW_SECRET]})
    signed = f"{SW_ID}.{SW_TIMESTAMP}.".encode() + SW_BODY
    mistaken = base64.b64encode(hmac.new(SW_SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": f"v1,{mistaken}"}
    with pytest.raises(VerificationError, match="does not match"):
        verify_delivery(sw, SW_BODY, headers, now=at(SW_TIMESTAMP))
    decoded = base64.b64decode(SW_SECRET.removeprefix("whsec_"))
    right = base64.b64encode(hmac.new(decoded, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{right}" == SW_SIGNATURE  # the published vector was made with the decoded key
    headers["webhook-signature"] = f"v1,{right}"
    assert verify_delivery(sw, SW_BODY, headers, now=at(SW_TIMESTAMP)).delivery_id == SW_ID
