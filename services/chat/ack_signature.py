"""Signing ack buttons, so that a click can only acknowledge an event the clicking user was shown.

Chainlit sends an action's payload to the browser and takes it back, unchecked, from whoever posts
`/project/action` (any logged-in user, for any payload). So the payload carries an HMAC over the event
id, the user it was shown to (`*` for a live broadcast, one step shown to every user) and the button's
label. It holds across replicas and restarts (every replica shares CHAINLIT_AUTH_SECRET, as logins
must) and after a reload from history, where the payload comes back from the data layer.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from herald.chat.notification_view import Signer

ANY_USER = "*"
_PURPOSE = b"herald ack button v1"  # a key of its own: a signature here is never a login token's


def ack_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def signed_payload(key: bytes, event_id: str, shown_to: str, label: str) -> dict[str, str]:
    return {"event": event_id, "for": shown_to, "label": label, "sig": _signature(key, event_id, shown_to, label)}


def signer(key: bytes, shown_to: str) -> Signer:
    """Signs ack buttons shown to `shown_to` (a user id, or ANY_USER for a live broadcast)."""

    def sign(event_id: str, label: str) -> dict[str, str]:
        return signed_payload(key, event_id, shown_to, label)

    return sign


def verified_event(key: bytes, payload: Any, user: str) -> tuple[str, str] | None:
    """(event id, label) if `payload` is an ack button Herald made for `user` (or for every user), else None."""
    if not isinstance(payload, dict):
        return None
    event_id, shown_to, label, signature = (payload.get(k) for k in ("event", "for", "label", "sig"))
    if not all(isinstance(v, str) for v in (event_id, shown_to, label, signature)):
        return None
    assert isinstance(event_id, str) and isinstance(shown_to, str) and isinstance(label, str)
    assert isinstance(signature, str)
    if shown_to not in (user, ANY_USER):
        return None
    if not hmac.compare_digest(signature, _signature(key, event_id, shown_to, label)):
        return None
    return event_id, label


def _signature(key: bytes, event_id: str, shown_to: str, label: str) -> str:
    # Lengths first, so that no two different triples sign the same bytes.
    message = "\n".join((str(len(event_id)), str(len(shown_to)), event_id, shown_to, label)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
