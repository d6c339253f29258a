"""GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.

GitHub signs no timestamp, so a captured delivery can be replayed; only delivery-id dedupe stops
GitHub's own redeliveries, and the id header is not signed either.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from herald.notifier.webhooks.errors import VerificationError
from herald.notifier.webhooks.schemes.base import SchemeBase, require_header, signed_by_any

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


class GithubScheme(SchemeBase):
    scheme: Literal["github"]

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        value = require_header(headers, SIGNATURE_HEADER)
        if not value.startswith(PREFIX):
            raise VerificationError(f"malformed {SIGNATURE_HEADER} header: expected '{PREFIX}<hex>'")
        try:
            signature = binascii.unhexlify(value.removeprefix(PREFIX))
        except (binascii.Error, ValueError):
            raise VerificationError(f"malformed {SIGNATURE_HEADER} header: not hex") from None
        if not signed_by_any(body, self.keys(), [signature]):
            raise VerificationError(f"{SIGNATURE_HEADER} does not match the body")

    @property
    def credential_headers(self) -> frozenset[str]:
        return frozenset({"x-hub-signature-256", "x-hub-signature"})

    @property
    def delivery_id_header(self) -> str:
        return "x-github-delivery"
