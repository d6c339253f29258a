"""OpenAPI for bodies and headers the notifier reads by hand (to answer 400/413/415 itself instead of
FastAPI's 422, and to skip FastAPI's per-request parameter resolution on the hot routes), and for its
answers: every error is a problem (`application/problem+json`), documented with its status.

Routes name their models where they are declared, at import, long before any app builds its document. So
`schema_ref` gives a `$ref` that carries its model's schema along, and the document's builder moves each into
the components: no registry filled at import, none shared between apps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from herald.notifier.problems import PROBLEM_JSON, ProblemDetails

_REF = "#/components/schemas/{model}"
_SCHEMA = "x-herald-schema"  # on a `$ref` until the document is built (`_schemas_moved`)

MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_KEY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
    "description": "A repeat with the same key gets the first answer and publishes nothing.",
}
# `openapi_extra` of a route that takes an API key (services/notifier/auth.py).
API_KEY: dict[str, Any] = {"security": [{"apiKey": []}]}
_SECURITY_SCHEMES = {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, as `Bearer <key>`."}}
_HEADERS_OF = {
    401: {"WWW-Authenticate": {"description": "The scheme to authenticate with.", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds until the bucket holds a request again.",
                          "schema": {"type": "string"}},
          "RateLimit-Policy": {"description": "The limit that was hit (IETF RateLimit headers).",
                               "schema": {"type": "string"}},
          "RateLimit": {"description": "What is left of it, and when it is back.", "schema": {"type": "string"}}},
}
# What every operation of the API may answer, whatever it is: a failure of the notifier's own
# (problems.py), and a rate limit (rate_limits.py: the key's or source's, or the address's failed attempts).
_ALWAYS = {500: "The notifier failed unexpectedly; the failure is logged (with the event id when known).",
           429: "Over a rate limit: the API key's, the webhook source's, or this address's failed "
                "authentications; see Retry-After."}


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A `$ref` to `model`, whose schema (and its sub-models') the document's builder puts in the components."""
    # As a JSON string: FastAPI's encoder of the document would drop the schema's `"default": null`s.
    return {"$ref": _REF.format(model=model.__name__), _SCHEMA: json.dumps(model.model_json_schema(ref_template=_REF))}


def json_body(model: type[BaseModel], *headers: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `model` and which reads `headers` by hand."""
    extra: dict[str, Any] = {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema_ref(model)}}}}
    if headers:
        extra["parameters"] = list(headers)
    return extra


def answers(success: Mapping[int, tuple[str, type[BaseModel] | None]],
            problems: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses` for a route: its 2xx answers (a description and the body's model) and its problems."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status, (description, model) in success.items():
        documented[status] = {"description": description}
        if model is not None:
            documented[status]["content"] = {"application/json": {"schema": schema_ref(model)}}
    for status, description in {**_ALWAYS, **problems}.items():
        documented[status] = _problem(status, description)
    return documented


def _problem(status: int, description: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description,
                              "content": {PROBLEM_JSON: {"schema": schema_ref(ProblemDetails)}}}
    if status in _HEADERS_OF:
        answer["headers"] = _HEADERS_OF[status]
    return answer


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {})
            components["securitySchemes"] = _SECURITY_SCHEMES
            components.setdefault("schemas", {})
            _problems_everywhere(schema)
            _schemas_moved(schema, components["schemas"])
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problems_everywhere(schema: dict[str, Any]) -> None:
    """FastAPI documents its own 422 (a malformed path) as `application/json` `HTTPValidationError`, but
    problems.py answers it as a problem; and any operation may fail with a 500 problem."""
    for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
        responses = operation.setdefault("responses", {})
        if "422" in responses and "application/json" in responses["422"].get("content", {}):
            responses["422"] = _problem(422, "A path parameter is malformed; the detail names it.")
        for status, description in _ALWAYS.items():
            responses.setdefault(str(status), _problem(status, description))
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)




def _schemas_moved(node: Any, schemas: dict[str, Any]) -> None:
    """Move the schema every `schema_ref` carries into `schemas`."""
    if isinstance(node, dict):
        if isinstance(carried := node.pop(_SCHEMA, None), str):
            schema = json.loads(carried)
            schemas.update(schema.pop("$defs", {}))
            schemas[node["$ref"].rpartition("/")[2]] = schema
        for value in node.values():
            _schemas_moved(value, schemas)
    elif isinstance(node, list):
        for item in node:
            _schemas_moved(item, schemas)
