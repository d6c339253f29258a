"""Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>...]` over `"{t}.{body}"`.

Stripe uses the whole `whsec_...` string as the HMAC key, and sends one `v1` per active secret
while an endpoint's secret is being rolled. Other schemes (the test-mode `v0`) are ignored so a
downgrade cannot be forced.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from herald.notifier.webhooks.errors import VerificationError
from herald.notifier.webhooks.schemes.base import (
    DEFAULT_TOLERANCE_SECONDS,
    SchemeBase,
    Tolerance,
    check_timestamp,
    require_header,
    signed_by_any,
)

SIGNATURE_HEADER = "Stripe-Signature"


class StripeScheme(SchemeBase):
    scheme: Literal["stripe"]
    tolerance_seconds: Tolerance = DEFAULT_TOLERANCE_SECONDS

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        timestamp, signatures = _parse(require_header(headers, SIGNATURE_HEADER))
        if not signed_by_any(timestamp.encode() + b"." + body, self.keys(), signatures):
            raise VerificationError(f"{SIGNATURE_HEADER} does not match the body")
        # Checked after the signature, so only an authentic sender learns about its clock skew.
        check_timestamp(timestamp, now, self.tolerance_seconds, SIGNATURE_HEADER)

    @property
    def credential_headers(self) -> frozenset[str]:
        return frozenset({"stripe-signature"})

    @property
    def delivery_id_path(self) -> str:
        return "id"


def _parse(value: str) -> tuple[str, list[bytes]]:
    timestamp: str | None = None
    signatures: list[bytes] = []
    for element in value.split(","):
        key, sep, item = element.strip().partition("=")
        if not sep:
            raise VerificationError(f"malformed {SIGNATURE_HEADER} header")
        if key == "t":
            timestamp = item
        elif key == "v1":
            try:
                signatures.append(binascii.unhexlify(item))
            except (binascii.Error, ValueError):
                continue  # one unreadable entry must not hide a valid one
    if timestamp is None:
        raise VerificationError(f"malformed {SIGNATURE_HEADER} header: no timestamp")
    if not signatures:
        raise VerificationError(f"malformed {SIGNATURE_HEADER} header: no v1 signature")
    return timestamp, signatures
