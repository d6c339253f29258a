"""`POST /v1/events`: authenticate, read, validate, deduplicate, publish, answer 202."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.notifier.auth import Publisher
from services.notifier.idempotency import AnswerStore
from services.notifier.openapi import json_body
from services.notifier.problems import Problem, validation_problem
from services.notifier.publisher import BrokerUnavailable, EventPublisher
from services.notifier.request_body import read_json
from shared.events import Event, EventRequest

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
    payload = await read_json(request, request.app.state.settings.max_request_bytes)
    try:
        event = EventRequest.model_validate(payload).to_event(source=key.name)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    answer = await publish_once(request.app.state.answers, request.app.state.publisher,
                                event, dedupe_keys(key.name, idempotency_key, payload),
                                request.app.state.settings.retry_after_seconds)
    return JSONResponse(answer, status_code=202)


def dedupe_keys(source: str, idempotency_key: str | None, payload: Any) -> list[str]:
    """Idempotency keys are per API key; event ids given by the client are global, like the events."""
    keys = []
    if idempotency_key:
        keys.append(f"idempotency:{source}:{idempotency_key}")
    if isinstance(payload, dict) and payload.get("id"):
        keys.append(f"event:{payload['id']}")
    return keys


async def publish_once(answers: AnswerStore, publisher: EventPublisher, event: Event, keys: list[str],
                       retry_after: int) -> dict[str, Any]:
    answer = {"id": event.id, "status": "accepted"}
    if keys:
        claim = await answers.claim(keys)
        if claim.answer is not None:
            return claim.answer
        if claim.in_flight:
            raise Problem(409, "A request with this Idempotency-Key or event id is still in flight; retry shortly.",
                          headers={"Retry-After": "1"})
    try:
        await publisher.publish(event)
    except BrokerUnavailable as exc:
        if keys:
            await answers.release(keys)
        raise Problem(503, f"The broker did not confirm the event: {exc}. Retry later; the same id is safe to retry.",
                      headers={"Retry-After": str(retry_after)}) from exc
    except BaseException:
        if keys:
            await answers.release(keys)
        raise
    if keys:
        await answers.fulfil(keys, answer)
    return answer
