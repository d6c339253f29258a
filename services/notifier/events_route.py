"""`POST /v1/events`: authenticate, read, validate, deduplicate, publish, answer 202."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.notifier.auth import Publisher
from services.notifier.openapi import json_body
from services.notifier.problems import validation_problem
from services.notifier.publishing import Dedupe, publish_once
from services.notifier.request_body import read_json
from shared.events import EventRequest

router = APIRouter()


@router.post(
    "/v1/events",
    status_code=202,
    summary="Publish an event to chat users",
    openapi_extra=json_body(EventRequest),
    responses={202: {"description": "The broker has confirmed the event; it is durable."}},
)
async def publish_event(
    request: Request,
    key: Publisher,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    settings = request.app.state.settings
    payload = await read_json(request, settings.max_request_bytes)
    try:
        event = EventRequest.model_validate(payload).to_event(source=key.name)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    dedupe = Dedupe(dedupe_keys(key.name, idempotency_key, payload), settings.idempotency_hours * 3600,
                    named="this Idempotency-Key or event id")
    published = await publish_once(request.app.state.answers, request.app.state.publisher, event, dedupe,
                                   settings.retry_after_seconds)
    return JSONResponse(published.answer, status_code=202)


def dedupe_keys(source: str, idempotency_key: str | None, payload: Any) -> list[str]:
    """Idempotency keys are per API key; event ids given by the client are global, like the events."""
    keys = []
    if idempotency_key:
        keys.append(f"idempotency:{source}:{idempotency_key}")
    if isinstance(payload, dict) and payload.get("id"):
        keys.append(f"event:{payload['id']}")
    return keys

