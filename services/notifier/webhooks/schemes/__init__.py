"""The verification schemes a source can use, chosen by the `scheme` key of its `verification` table."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from herald.notifier.webhooks.schemes.base import SchemeBase
from herald.notifier.webhooks.schemes.generic_hmac import GenericHmacScheme
from herald.notifier.webhooks.schemes.github import GithubScheme
from herald.notifier.webhooks.schemes.shared_token import SharedTokenScheme
from herald.notifier.webhooks.schemes.standard_webhooks import StandardWebhooksScheme
from herald.notifier.webhooks.schemes.stripe import StripeScheme

VerificationScheme = Annotated[
    GithubScheme | StripeScheme | StandardWebhooksScheme | GenericHmacScheme | SharedTokenScheme,
    Field(discriminator="scheme"),
]

__all__ = [
    "GenericHmacScheme",
    "GithubScheme",
    "SchemeBase",
    "SharedTokenScheme",
    "StandardWebhooksScheme",
    "StripeScheme",
    "VerificationScheme",
]
