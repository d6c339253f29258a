"""A generic HMAC-SHA256 of the raw body in a configurable header, hex or base64, with an optional prefix."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from herald.notifier.webhooks.errors import VerificationError
from herald.notifier.webhooks.schemes.base import HeaderName, SchemeBase, require_header, signed_by_any


class GenericHmacScheme(SchemeBase):
    scheme: Literal["hmac-sha256"]
    header: HeaderName
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        value = require_header(headers, self.header)
        if not value.startswith(self.prefix):
            raise VerificationError(f"malformed {self.header} header: expected prefix '{self.prefix}'")
        encoded = value.removeprefix(self.prefix)
        try:
            if self.encoding == "hex":
                signature = binascii.unhexlify(encoded)
            else:
                signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationError(f"malformed {self.header} header: not {self.encoding}") from None
        if not signed_by_any(body, self.keys(), [signature]):
            raise VerificationError(f"{self.header} does not match the body")

    @property
    def credential_headers(self) -> frozenset[str]:
        return frozenset({self.header})
