"""Stripe events, chosen by the payload's `type`: payment intents and invoices, and a one-line default.

Amounts are in the currency's minor unit (cents), zero-decimal currencies included. Test-mode events
get a `[test]` prefix. Stripe events name no person, so they go to the source's default target
unless an `identity` is configured (e.g. `{{ payload.data.object.metadata.owner }}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifier.webhooks.message_template import Ignored, MessageTemplate

# Every field starts with these, so templates can say `o` for the event's object.
OBJ = "{% set o = payload.data.object %}"
TEST = "{{ '' if payload.livemode else '[test] ' }}"
LINK = "{{ ' · [view invoice](' ~ o.hosted_invoice_url ~ ')' if o.hosted_invoice_url else '' }}"

PAYMENT_SUCCEEDED = MessageTemplate(
    title=OBJ + TEST + "Payment of {{ o.amount | money(o.currency) }} succeeded",
    body=OBJ + "PaymentIntent `{{ o.id }}` for customer `{{ o.customer }}`"
    "{{ ' (' ~ o.description ~ ')' if o.description else '' }}",
    severity="success",
)

PAYMENT_FAILED = MessageTemplate(
    title=OBJ + TEST + "Payment of {{ o.amount | money(o.currency) }} failed",
    body=OBJ + "PaymentIntent `{{ o.id }}` for customer `{{ o.customer }}` failed"
    "{{ ': ' ~ o.last_payment_error.message if o.last_payment_error else '' }}",
    severity="error",
)

INVOICE_PAID = MessageTemplate(
    title=OBJ + TEST + "Invoice {{ o.number or o.id }} paid: {{ o.amount_paid | money(o.currency) }}",
    body=OBJ + "Customer {{ o.customer_email or o.customer }} paid invoice {{ o.number or o.id }}" + LINK,
    severity="success",
)

INVOICE_FAILED = MessageTemplate(
    title=OBJ + TEST + "Payment failed for invoice {{ o.number or o.id }}: "
    "{{ o.amount_due | money(o.currency) }}",
    body=OBJ + "Attempt {{ o.attempt_count }} to charge customer {{ o.customer_email or o.customer }} failed"
    "{{ '; next attempt ' ~ (o.next_payment_attempt | utc_time) if o.next_payment_attempt "
    "else '; no further attempts' }}" + LINK,
    severity="error",
)

DEFAULT = MessageTemplate(
    title=OBJ + TEST + "Stripe: {{ payload.type }}",
    body=OBJ + "`{{ payload.type }}` on {{ o.object }} `{{ o.id }}`",
)

_BY_TYPE = {
    "payment_intent.succeeded": PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": PAYMENT_FAILED,
    "invoice.paid": INVOICE_PAID,
    "invoice.payment_failed": INVOICE_FAILED,
}


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    kind = payload.get("type") if isinstance(payload, dict) else None
    return _BY_TYPE.get(kind, DEFAULT) if isinstance(kind, str) else DEFAULT
