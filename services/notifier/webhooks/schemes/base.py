"""What every verification scheme shares: secrets, header lookup, HMAC matching and the timestamp window."""

from __future__ import annotations

import hashlib
import hmac
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from herald.notifier.webhooks.errors import VerificationError

HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", to_lower=True)]
Tolerance = Annotated[int, Field(gt=0, le=3600)]

DEFAULT_TOLERANCE_SECONDS = 300


class SchemeBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Several secrets are accepted at once so a secret can be rotated without dropping deliveries.
    secrets: Annotated[list[SecretStr], Field(min_length=1)]

    @field_validator("secrets")
    @classmethod
    def _no_empty_secret(cls, secrets: list[SecretStr]) -> list[SecretStr]:
        if any(not s.get_secret_value() for s in secrets):
            raise ValueError("a secret may not be empty")
        return secrets

    @abstractmethod
    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        """Raise `VerificationError` unless `body` is signed by one of the secrets. Headers are lowercased."""

    @property
    @abstractmethod
    def credential_headers(self) -> frozenset[str]:
        """Headers carrying signatures or tokens, hidden from templates so they cannot leak into a message."""

    @property
    def delivery_id_header(self) -> str | None:
        return None

    @property
    def delivery_id_path(self) -> str | None:
        return None

    def keys(self) -> list[bytes]:
        return [s.get_secret_value().encode() for s in self.secrets]


def require_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower(), "").strip()
    if not value:
        raise VerificationError(f"missing {name} header")
    return value


def signed_by_any(message: bytes, keys: Iterable[bytes], signatures: Iterable[bytes]) -> bool:
    """True when one signature is the HMAC-SHA256 of `message` under one key, compared in constant time."""
    macs = [hmac.new(key, message, hashlib.sha256).digest() for key in keys]
    return any(hmac.compare_digest(mac, sig) for mac in macs for sig in signatures)


def check_timestamp(raw: str, now: datetime, tolerance: int, header: str) -> None:
    if not (raw.isascii() and raw.isdigit()):
        raise VerificationError(f"malformed timestamp in {header} header")
    age = now.timestamp() - int(raw)
    if age > tolerance:
        raise VerificationError(f"timestamp in {header} header is too old (more than {tolerance} s)")
    if age < -tolerance:
        raise VerificationError(f"timestamp in {header} header is in the future (more than {tolerance} s)")
