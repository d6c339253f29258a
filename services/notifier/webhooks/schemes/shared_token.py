"""A shared secret sent as-is in a header, for senders that cannot sign (e.g. Alertmanager's bearer token).

Weaker than a signature: it proves only that the sender knows the token, not that the body is intact.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from herald.notifier.webhooks.errors import VerificationError
from herald.notifier.webhooks.schemes.base import HeaderName, SchemeBase, require_header


class SharedTokenScheme(SchemeBase):
    scheme: Literal["token"]
    header: HeaderName
    prefix: str = ""  # e.g. "Bearer " for an Authorization header

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        value = require_header(headers, self.header)
        if not value.startswith(self.prefix):
            raise VerificationError(f"malformed {self.header} header: expected prefix '{self.prefix}'")
        given = value.removeprefix(self.prefix).encode()
        # A list, not a generator: every token is compared, so timing does not tell which one was close.
        if not any([hmac.compare_digest(given, key) for key in self.keys()]):
            raise VerificationError(f"{self.header} does not hold a valid token")

    @property
    def credential_headers(self) -> frozenset[str]:
        return frozenset({self.header})
