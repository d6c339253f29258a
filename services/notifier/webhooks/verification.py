"""Step one for a delivery: prove it comes from the source, then name it by its delivery id.

The signature is checked over the raw bytes before anything is parsed. The delivery id is what the
seen-delivery store dedupes on; senders retry, and count only 2xx as delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from herald.notifier.webhooks.errors import PayloadError, UnparsableBody
from herald.notifier.webhooks.payload import lookup_path, parse_json
from herald.notifier.webhooks.sources import SourceConfig

# Never shown to templates, whatever the scheme: they carry credentials.
_ALWAYS_HIDDEN = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class VerifiedDelivery:
    source: str
    delivery_id: str | None  # None only when the source has no delivery id (generic schemes, unset)
    body: bytes
    headers: Mapping[str, str]  # lowercased names, credential headers removed


def verify_delivery(
    source: SourceConfig, body: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> VerifiedDelivery:
    """Raise `VerificationError` (401) if the delivery is not authentic, `PayloadError` (422) if it is
    authentic but its delivery id cannot be found, `UnparsableBody` (400) if that id is in a non-JSON body."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), value)  # first wins, as Starlette's Headers.get does
    scheme = source.verification
    scheme.verify(body, lowered, now or datetime.now(UTC))
    hidden = scheme.credential_headers | _ALWAYS_HIDDEN
    return VerifiedDelivery(
        source=source.name,
        delivery_id=_delivery_id(source, body, lowered),
        body=body,
        headers={k: v for k, v in lowered.items() if k not in hidden},
    )


def _delivery_id(source: SourceConfig, body: bytes, headers: Mapping[str, str]) -> str | None:
    scheme = source.verification
    header = source.delivery_id_header
    path = source.delivery_id_path
    if header is None and path is None:
        header, path = scheme.delivery_id_header, scheme.delivery_id_path
    if header is not None:
        value = headers.get(header, "").strip()
        if not value:
            raise PayloadError(f"missing {header} header, which holds the delivery id")
        return value
    if path is None:
        return None
    try:
        payload = parse_json(body)
    except UnparsableBody as exc:
        raise UnparsableBody(f"cannot read the delivery id: {exc.reason}") from None
    try:
        value = lookup_path(payload, path)
    except KeyError:
        raise PayloadError(f"the payload has no delivery id at '{path}'") from None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PayloadError(f"the delivery id at '{path}' is not a string or an integer")
    return str(value)
