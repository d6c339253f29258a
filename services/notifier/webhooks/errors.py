"""What can go wrong with a webhook, each with a reason that is safe to show the sender and to log.

No message here ever holds a secret, a signature or a token: they name the header or field instead.
"""

from __future__ import annotations


class SourceConfigError(ValueError):
    """The sources file is unreadable or invalid; raised at startup, names the source and field."""


class VerificationError(Exception):
    """The delivery is not provably from the source (answer 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayloadError(Exception):
    """The delivery is authentic but cannot become an event (answer 422)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnparsableBody(PayloadError):
    """The delivery is authentic but its body is not JSON (answer 400: the request itself is malformed)."""


class RenderError(PayloadError):
    """A template could not turn the payload into a valid event."""
