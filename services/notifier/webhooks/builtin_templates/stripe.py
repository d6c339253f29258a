"""Stripe events, chosen by the payload's `type`: payment intents and invoices, and a summary of any other.

Amounts are in the currency's minor unit (cents), zero-decimal currencies included. Test-mode events
get a `[test]` prefix. The summary of any other event names its object and what identifies it (the
amount, a description, name or email, else its id). Stripe events name no person, so they go to the
source's default target unless an `identity` is configured (e.g. `{{ payload.data.object.metadata.owner }}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.notifier.webhooks.message_template import Ignored, MessageTemplate

# Every field starts with these, so templates can say `o` for the event's object.
OBJ = "{% set o = payload.data.object %}{% set amount = o.amount | money(o.currency) %}"
TEST = "{% if not payload.livemode %}[test] {% endif %}"
INVOICE = "{% set number = o.number or o.id %}{% set who = o.customer_email or o.customer_name or o.customer %}"
LINK = "{% if o.hosted_invoice_url is linkable %} · {{ o.hosted_invoice_url | link('view invoice') }}{% endif %}"
FOR_CUSTOMER = "{% if o.customer %} for customer {{ o.customer | code }}{% endif %}"

PAYMENT_SUCCEEDED = MessageTemplate(
    title=OBJ + TEST + "Payment{{ ' of ' ~ amount if amount }} succeeded",
    body=OBJ + "PaymentIntent {{ o.id | code }}" + FOR_CUSTOMER
    + "{% if o.description %} ({{ o.description }}){% endif %}",
    severity="success",
)

PAYMENT_FAILED = MessageTemplate(
    title=OBJ + TEST + "Payment{{ ' of ' ~ amount if amount }} failed",
    body=OBJ + "PaymentIntent {{ o.id | code }}" + FOR_CUSTOMER + " failed"
    "{% if o.last_payment_error.message %}: {{ o.last_payment_error.message }}{% endif %}",
    severity="error",
)

INVOICE_PAID = MessageTemplate(
    title=OBJ + INVOICE + TEST + "{% set paid = o.amount_paid | money(o.currency) %}"
    "Invoice {{ number }} paid{{ ': ' ~ paid if paid }}",
    body=OBJ + INVOICE + "Customer {{ who or 'unknown' }} paid invoice {{ number }}" + LINK,
    severity="success",
)

INVOICE_FAILED = MessageTemplate(
    title=OBJ + INVOICE + TEST + "{% set due = o.amount_due | money(o.currency) %}"
    "Payment failed for invoice {{ number }}{{ ': ' ~ due if due }}",
    body=OBJ + INVOICE + "Attempt {{ o.attempt_count if o.attempt_count is number else '?' }} to charge customer"
    " {{ who or 'unknown' }} for invoice {{ number }} failed"
    "{{ '; next attempt ' ~ (o.next_payment_attempt | utc_time) if o.next_payment_attempt | utc_time "
    "else '; no further attempts' }}" + LINK,
    severity="error",
)

# What identifies an object of any kind, most telling first.
_LABEL = """{% set label = amount or ('invoice ' ~ o.number if o.number else '') or o.description
    or o.name or o.email or o.nickname or o.status or '' %}"""
DEFAULT = MessageTemplate(
    title=OBJ + _LABEL + TEST + "Stripe {{ payload.type or 'event' }}{{ ': ' ~ label if label }}",
    body=OBJ + _LABEL + "{{ (payload.type or 'event') | code }} on {{ o.object or 'object' }} {{ o.id | code }}"
    "{% if label %}: {{ label }}{% endif %}",
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


def event_name(payload: Any, headers: Mapping[str, str]) -> str:
    kind = payload.get("type") if isinstance(payload, dict) else None
    return kind if isinstance(kind, str) else "event"
