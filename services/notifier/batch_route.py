"""`POST /v1/events/batch`: up to 1,000 events in one request, each with the semantics of `/v1/events`.

Every event is validated, deduplicated and published on its own, all of them at once on the worker's
confirming channel, so that the broker's confirms pipeline. The answer holds one result per event, in
order: `{"index", "id", "status": "accepted"}` once the broker confirmed it, else `{"index", "status":
"rejected", "problem"}` with the problem `/v1/events` would have answered (422, 409 or 503, or 500 for a
failure of the notifier's own: one event's failure never becomes the whole answer, because the other
events may already be published, and a client retrying the whole batch would publish them again). It is
202 when every event was accepted, else 207. A body that is not a batch at all gets a single problem.

Idempotency: an event id is remembered exactly as by `/v1/events`, and an id repeated within the batch
is published once, each copy getting its answer. An `Idempotency-Key` covers each position of the
batch: resending the batch with the key answers the events accepted the first time from memory and
publishes only the others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from herald.contract.events import Event, EventRequest
from herald.notifier.api_keys import PUBLISH_EVENTS
from herald.notifier.auth import authenticated
from herald.notifier.deps import notifier_deps
from herald.notifier.event_ids import event_from
from herald.notifier.events_route import EVENT_PROBLEMS, dedupe_keys, idempotency_key_of
from herald.notifier.openapi import API_KEY, IDEMPOTENCY_KEY_HEADER, answers, json_body
from herald.notifier.problems import Problem, ProblemDetails, problem_body, unexpected_problem, validation_problem
from herald.notifier.publish_once import Dedupe, publish_once
from herald.notifier.request_body import read_json

MAX_EVENTS = 1000
# Publishes of one request awaiting their confirms at once: enough to keep the channel busy, few
# enough that one big batch does not crowd out the worker's other requests (and aiormq settles a
# "multiple" confirm by scanning every publish in flight, so more in flight costs more per event).
IN_FLIGHT = 64

log = logging.getLogger("herald.notifier")
router = APIRouter()


class EventBatch(BaseModel):
    """The body's schema, for the docs. Any item is taken: each is validated on its own, and one that is not
    an event is rejected in its result. So an item's schema is "an event, or anything" (the request is
    accepted either way), which still shows a reader, and a test generator, what an event is."""

    model_config = ConfigDict(extra="forbid")

    events: list[Annotated[EventRequest | Any, Field(
        description="An event as for `POST /v1/events`; anything else is rejected in its result.")]] = Field(
        min_length=1, max_length=MAX_EVENTS)


class EventResult(BaseModel):
    index: int
    id: str | None = Field(default=None, description="Absent when the event was rejected before it had an id.")
    status: Literal["accepted", "rejected"]
    problem: ProblemDetails | None = Field(
        default=None, description="Why it was rejected: 409, 422, 500 or 503, as `/v1/events` would answer.")


class BatchAnswer(BaseModel):
    accepted: int
    rejected: int
    results: list[EventResult]


@router.post(
    "/v1/events/batch",
    status_code=202,
    summary="Publish up to 1,000 events, with a result for each",
    openapi_extra={**json_body(EventBatch, IDEMPOTENCY_KEY_HEADER), **API_KEY},
    responses=answers(
        {202: ("The broker has confirmed every event.", BatchAnswer),
         207: ("Some events were rejected; each result says which and why.", BatchAnswer)},
        {**{status: EVENT_PROBLEMS[status] for status in (400, 401, 403, 415)},
         413: "The body is over HERALD_BATCH_MAX_REQUEST_BYTES, or holds over 1,000 events.",
         422: "The body is not `{\"events\": [...]}` with 1 to 1,000 events, or nests too deep; "
              "an event's own problems are in its result."}),
)
async def publish_batch(request: Request) -> Response:
    key = authenticated(request, PUBLISH_EVENTS)
    idempotency_key = idempotency_key_of(request)
    state = notifier_deps(request)
    items = _events_of(await read_json(request, state.settings.batch_max_request_bytes))
    results: list[dict[str, Any]] = [{} for _ in items]
    pending: list[tuple[int, Event, Dedupe]] = []
    first_with_id: dict[str, int] = {}
    copies: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        try:
            event = event_from(EventRequest.model_validate(item), key.name)
        except ValidationError as exc:
            results[index] = _rejected(index, validation_problem(exc, prefix=("events", index)))
            continue
        except Exception:
            log.exception("batch event %d failed unexpectedly in validation (event id unknown)", index)
            results[index] = _rejected(index, unexpected_problem(None))
            continue
        given_id = isinstance(item, dict) and item.get("id")
        if given_id and (first := first_with_id.setdefault(event.id, index)) != index:
            copies.append((index, first))  # published once; the copy gets the first one's answer
            continue
        keys = dedupe_keys(key.name, f"{idempotency_key}#{index}" if idempotency_key else None, item)
        pending.append((index, event, Dedupe(keys, state.settings.idempotency_hours * 3600,
                                             named="this Idempotency-Key or event id")))

    async def publish(index: int, event: Event, dedupe: Dedupe) -> None:
        try:
            published = await publish_once(state.answers, state.publisher, event, dedupe,
                                           state.settings.retry_after_seconds)
        except Problem as problem:
            results[index] = _rejected(index, problem, event.id)
        except Exception:
            log.exception("batch event %d failed unexpectedly in publishing (event %s)", index, event.id)
            results[index] = _rejected(index, unexpected_problem(event.id), event.id)
        else:
            results[index] = {"index": index, **published.answer}

    jobs = iter(pending)

    async def publisher() -> None:
        for job in jobs:
            await publish(*job)

    await asyncio.gather(*(publisher() for _ in range(min(IN_FLIGHT, len(pending)))))
    for index, first in copies:
        results[index] = {**results[first], "index": index}
    return _answer(results, state.settings.retry_after_seconds)


def _events_of(payload: Any) -> list[Any]:
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or len(payload) != 1:
        raise Problem(422, 'The body must be an object with one field, "events": a list of events.',
                      errors=[{"field": "events", "message": "a list of 1 to 1000 events is required"}])
    if not events:
        raise Problem(422, "The batch holds no events.", errors=[{"field": "events", "message": "empty"}])
    if len(events) > MAX_EVENTS:
        raise Problem(413, f"The batch holds {len(events)} events; the limit is {MAX_EVENTS} per request.")
    return events


def _rejected(index: int, problem: Problem, event_id: str | None = None) -> dict[str, Any]:
    known = {"id": event_id} if event_id else {}
    return {"index": index, **known, "status": "rejected",
            "problem": problem_body(problem.status, problem.detail, **problem.extensions)}


def _answer(results: list[dict[str, Any]], retry_after: int) -> Response:
    rejected = sum(result["status"] == "rejected" for result in results)
    broker_failed = any(result.get("problem", {}).get("status") == 503 for result in results)
    return Response(
        orjson.dumps({"accepted": len(results) - rejected, "rejected": rejected, "results": results}),
        status_code=207 if rejected else 202,
        headers={"Retry-After": str(retry_after)} if broker_failed else None,
        media_type="application/json",
    )
