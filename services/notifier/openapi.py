"""OpenAPI for bodies and headers the notifier reads by hand (to answer 400/413/415 itself instead of
FastAPI's 422, and to skip FastAPI's per-request parameter resolution on the hot routes)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"

MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_KEY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
    "description": "A repeat with the same key gets the first answer and publishes nothing.",
}
_extra_schemas: dict[str, Any] = {}


def json_body(model: type[BaseModel], *headers: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `model` (its sub-models join the components) and
    which reads `headers` by hand."""
    schema = model.model_json_schema(ref_template=_REF)
    _extra_schemas.update(schema.pop("$defs", {}))
    _extra_schemas[model.__name__] = schema
    extra: dict[str, Any] = {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}}}
    if headers:
        extra["parameters"] = list(headers)
    return extra


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_extra_schemas)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
