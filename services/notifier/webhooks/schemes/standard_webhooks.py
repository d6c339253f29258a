"""Standard Webhooks (spec v1): `webhook-id`, `webhook-timestamp`, `webhook-signature` headers.

The signature list holds space-separated `v1,<base64 HMAC-SHA256>` entries over `"{id}.{ts}.{body}"`;
secrets are `whsec_` + base64 of the key. Implemented here rather than with the `standardwebhooks`
package, whose `Webhook.verify` reads the clock itself (no injectable now), decodes the body to str
before signing, and raises ValueError instead of its verification error on malformed entries. The
tests use the package as an independent signer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import SecretStr, field_validator

from herald.notifier.webhooks.errors import VerificationError
from herald.notifier.webhooks.schemes.base import (
    DEFAULT_TOLERANCE_SECONDS,
    SchemeBase,
    Tolerance,
    check_timestamp,
    require_header,
    signed_by_any,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class StandardWebhooksScheme(SchemeBase):
    scheme: Literal["standard-webhooks"]
    tolerance_seconds: Tolerance = DEFAULT_TOLERANCE_SECONDS

    @field_validator("secrets")
    @classmethod
    def _secrets_are_base64(cls, secrets: list[SecretStr]) -> list[SecretStr]:
        for secret in secrets:
            _decode_secret(secret.get_secret_value())
        return secrets

    def keys(self) -> list[bytes]:
        return [_decode_secret(s.get_secret_value()) for s in self.secrets]

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        msg_id = require_header(headers, "webhook-id")
        timestamp = require_header(headers, "webhook-timestamp")
        signatures = _parse(require_header(headers, "webhook-signature"))
        message = f"{msg_id}.{timestamp}.".encode() + body
        if not signed_by_any(message, self.keys(), signatures):
            raise VerificationError("webhook-signature does not match the body")
        check_timestamp(timestamp, now, self.tolerance_seconds, "webhook-timestamp")

    @property
    def credential_headers(self) -> frozenset[str]:
        return frozenset({"webhook-signature"})

    @property
    def delivery_id_header(self) -> str:
        return "webhook-id"


def _decode_secret(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        # Never echo the secret: this message ends up in startup logs.
        raise ValueError(f"a secret is not valid base64 (expected '{SECRET_PREFIX}<base64>')") from None
    if not key:
        raise ValueError("a secret decodes to an empty key")
    return key


def _parse(value: str) -> list[bytes]:
    signatures: list[bytes] = []
    for entry in value.split():
        version, sep, encoded = entry.partition(",")
        if not sep or version != "v1":
            continue  # other versions (e.g. asymmetric v1a) are not ours to check
        try:
            signatures.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not signatures:
        raise VerificationError("malformed webhook-signature header: no v1 signature")
    return signatures
