"""`POST /v1/events`: authenticate, read, validate, deduplicate, publish, answer 202."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from herald.contract.events import EventRequest
from herald.notifier.api_keys import PUBLISH_EVENTS
from herald.notifier.auth import authenticated
from herald.notifier.deps import notifier_deps
from herald.notifier.event_ids import event_from, scoped_event_id
from herald.notifier.openapi import API_KEY, IDEMPOTENCY_KEY_HEADER, MAX_IDEMPOTENCY_KEY, answers, json_body
from herald.notifier.problems import Problem, validation_problem
from herald.notifier.publish_once import Dedupe, publish_once
from herald.notifier.request_body import read_json

router = APIRouter()


class Accepted(BaseModel):
    """The answer once the broker confirmed the event (also to a repeat of it)."""

    id: str
    status: Literal["accepted"]


# The problems one event may get, here and (but for 400, 401, 403, 413, 415) in a batch's results.
EVENT_PROBLEMS = {
    400: "The body is not valid JSON.",
    401: "The API key is missing or not known.",
    403: "The API key lacks the scope `events:publish`.",
    409: "A request with this Idempotency-Key or event id is still in flight; retry shortly.",
    413: "The body is over HERALD_MAX_REQUEST_BYTES.",
    415: "The body is not sent as application/json.",
    422: "The event does not match the schema, or is over a limit (`data`: 32 levels, 32 KiB, integers of "
         "at most 99 digits); `errors` names each field.",
    503: "The broker did not confirm the event; retry after Retry-After. The same id is safe to retry.",
}


@router.post(
    "/v1/events",
    status_code=202,
    summary="Publish an event to chat users",
    openapi_extra={**json_body(EventRequest, IDEMPOTENCY_KEY_HEADER), **API_KEY},
    responses=answers({202: ("The broker has confirmed the event; it is durable.", Accepted)}, EVENT_PROBLEMS),
)
async def publish_event(request: Request) -> JSONResponse:
    key = authenticated(request, PUBLISH_EVENTS)
    idempotency_key = idempotency_key_of(request)
    deps = notifier_deps(request)
    settings = deps.settings
    payload = await read_json(request, settings.max_request_bytes)
    try:
        event = event_from(EventRequest.model_validate(payload), key.name)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    request.state.event_id = event.id  # for the log of an unexpected failure (problems.install_problem_handlers)
    dedupe = Dedupe(dedupe_keys(key.name, idempotency_key, payload), settings.idempotency_hours * 3600,
                    named="this Idempotency-Key or event id")
    published = await publish_once(deps.answers, deps.publisher, event, dedupe, settings.retry_after_seconds)
    return JSONResponse(published.answer, status_code=202)


def idempotency_key_of(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        message = f"at most {MAX_IDEMPOTENCY_KEY} characters (got {len(key)})"
        raise Problem(422, f"The request is invalid: Idempotency-Key: {message}",
                      errors=[{"field": "Idempotency-Key", "message": message}])
    return key


def dedupe_keys(source: str, idempotency_key: str | None, payload: Any) -> list[str]:
    """Idempotency keys and client-given event ids are both per API key (see event_ids.py)."""
    keys = []
    if idempotency_key:
        keys.append(f"idempotency:{source}:{idempotency_key}")
    if isinstance(payload, dict) and payload.get("id"):
        keys.append(f"event:{scoped_event_id(source, str(payload['id']))}")
    return keys

