"""`POST /v1/webhooks/{source}`: a signed delivery from a configured sender, published once as an event.

No API key: the signature is the authentication. The checks run in this order, each with its answer:
404 unknown or disabled source (the same words for both), 413 body too large, 401 bad signature or
stale timestamp (429 instead of 404 or 401 once the client's address is over its failed-authentication
limit), 429 the source over its rate limit, 400 body not JSON or nested deeper than 64 levels, 422 a
sender mapped to no target (a template that cannot render shows the delivery generically instead), 200 a
delivery the template ignores (GitHub's ping), 200 a delivery id seen before, 409 the same delivery id
still in flight, then 202 once the broker has confirmed (503 with Retry-After when it does not).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from herald.contract.events import EventRequest
from herald.notifier.deps import notifier_deps
from herald.notifier.events_route import Accepted
from herald.notifier.openapi import answers
from herald.notifier.problems import Problem
from herald.notifier.publish_once import Dedupe, publish_once
from herald.notifier.rate_limits import client_address
from herald.notifier.request_body import read_limited
from herald.notifier.webhooks import (
    Ignored,
    PayloadError,
    SourceConfig,
    UnparsableBody,
    VerificationError,
    VerifiedDelivery,
    render_delivery,
    verify_delivery,
)

log = logging.getLogger("herald.notifier.webhooks")
router = APIRouter(tags=["webhooks"])

# One answer for unknown and disabled sources alike, so a caller cannot probe which sources exist.
NO_SUCH_SOURCE = "There is no webhook source at this address."
# RFC 9110 wants a challenge with every 401; no registered scheme names "an HMAC over the body".
_CHALLENGE = {"WWW-Authenticate": 'Signature realm="herald-webhooks"'}


class Skipped(BaseModel):
    """A 200: nothing was published now."""

    status: Literal["ignored", "duplicate"]
    id: str | None = Field(default=None, description="With `duplicate`: the event the first delivery became.")
    reason: str | None = Field(default=None, description="With `ignored`: why the template does not show it.")


_RESPONSES = answers(
    {200: ("A delivery seen before (`duplicate`) or one its template ignores (`ignored`).", Skipped),
     202: ("The broker has confirmed the event; it is durable.", Accepted)},
    {400: "The body is not JSON, or nests deeper than 64 levels.",
     401: "The signature does not match, or its timestamp is stale.",
     404: "No such source, or it is disabled.",
     409: "The same delivery is still being published; retry shortly.",
     413: "The body is over HERALD_WEBHOOK_MAX_REQUEST_BYTES.",
     422: "The payload cannot become an event (e.g. its sender is not mapped to a target).",
     429: "The source, or this address's failed attempts, over the rate limit; see Retry-After.",
     503: "The broker did not confirm; retry after Retry-After."},
)


@router.post(
    "/v1/webhooks/{source}",
    status_code=202,
    summary="Receive a signed webhook delivery",
    responses=_RESPONSES,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "description": "The sender's payload, exactly as it signed it: JSON nested at most 64 levels deep."}}}}},
)
async def receive_webhook(request: Request, source: str) -> JSONResponse:
    state = notifier_deps(request)
    config: SourceConfig | None = state.webhook_sources.enabled(source)
    # Probing for sources and guessing signatures cost the client's address (429 past its limit, and
    # then not logged per request), never the source's own budget.
    failed = partial(state.rate_limits.charge_failure, client_address(request))
    if config is None:
        failed()
        log.info("webhook: no enabled source %r", source[:64])
        raise Problem(404, NO_SUCH_SOURCE)
    body = await read_limited(request, state.settings.webhook_max_request_bytes)
    delivery = _verified(config, body, request.headers, failed)
    state.rate_limits.charge_source(config.name, config.rate_limit)
    outcome = _rendered(config, delivery)
    if isinstance(outcome, Ignored):
        log.info("webhook %s: delivery %s ignored: %s", config.name, delivery.delivery_id, outcome.reason)
        return JSONResponse({"status": "ignored", "reason": outcome.reason})
    event = outcome.to_event(source=f"webhook:{config.name}")
    request.state.event_id = event.id  # for the log of an unexpected failure
    published = await publish_once(state.answers, state.publisher, event,
                                   _dedupe(delivery, state.settings.webhook_dedupe_hours),
                                   state.settings.retry_after_seconds)
    if published.replayed:
        log.info("webhook %s: delivery %s seen before; not published again", config.name, delivery.delivery_id)
        return JSONResponse({**published.answer, "status": "duplicate"})
    log.info("webhook %s: delivery %s published as %s", config.name, delivery.delivery_id, event.id)
    return JSONResponse(published.answer, status_code=202)


def _verified(source: SourceConfig, body: bytes, headers: Mapping[str, str],
              failed: Callable[[], None]) -> VerifiedDelivery:
    try:
        return verify_delivery(source, body, headers)
    except VerificationError as exc:
        failed()
        # The reasons name headers and checks, never a secret or a signature (see webhooks.errors).
        log.warning("webhook %s: refused a delivery: %s", source.name, exc.reason)
        raise Problem(401, f"The delivery is not signed by this source: {exc.reason}.", headers=_CHALLENGE) from None
    except PayloadError as exc:
        raise _refused(source, None, exc) from None


def _rendered(source: SourceConfig, delivery: VerifiedDelivery) -> EventRequest | Ignored:
    try:
        return render_delivery(source, delivery)
    except PayloadError as exc:
        raise _refused(source, delivery.delivery_id, exc) from None
    except Exception:
        # A template that fails on a payload shape nobody foresaw (a list where it expects text) is that
        # payload's problem, not a 500: the sender is told, and the traceback logged for the template's fix.
        log.exception("webhook %s: delivery %s: the template failed on the payload", source.name,
                      delivery.delivery_id or "?")
        raise Problem(422, "The delivery cannot become an event: the template failed on this payload.") from None


def _refused(source: SourceConfig, delivery_id: str | None, exc: PayloadError) -> Problem:
    status = 400 if isinstance(exc, UnparsableBody) else 422
    log.warning("webhook %s: delivery %s answered %d: %s", source.name, delivery_id or "?", status, exc.reason)
    what = "Cannot read the delivery" if status == 400 else "The delivery cannot become an event"
    return Problem(status, f"{what}: {exc.reason}.")


def _dedupe(delivery: VerifiedDelivery, hours: float) -> Dedupe:
    if delivery.delivery_id is None:
        return Dedupe()  # the source names no delivery id, so each delivery is new
    return Dedupe([f"webhook:{delivery.source}:{delivery.delivery_id}"], hours * 3600, named="this delivery id")
