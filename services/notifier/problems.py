"""RFC 9457 problem details: every error the notifier answers is `application/problem+json`, a 500 too."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("herald.notifier")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `events.3.target.user`.")
    message: str


class ProblemDetails(BaseModel):
    """The body of every error answer (RFC 9457), for the OpenAPI document."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(default=None, description="On a 422: each offending field.")


class Problem(Exception):
    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extensions = extensions


def problem_body(status: int, detail: str, **extensions: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            **extensions}


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None,
                     **extensions: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, **extensions), status_code=status, headers=headers,
                        media_type=PROBLEM_JSON)


def validation_problem(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> Problem:
    """A 422 that names each offending field, e.g. `target.user: String should match ...`."""
    errors = [
        {"field": ".".join(str(part) for part in (*prefix, *error["loc"])) or "(body)", "message": error["msg"]}
        for error in exc.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return Problem(422, f"The event does not match the schema: {summary}", errors=errors)


def unexpected_problem(event_id: str | None) -> Problem:
    """What a client is told about a failure of the notifier's own; the log has the traceback."""
    which = f" with event {event_id}" if event_id else ""
    return Problem(500, f"The notifier failed unexpectedly{which}; the failure is logged.")


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.detail, exc.headers, **exc.extensions)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_methods_at(request))
        return problem_response(exc.status_code, str(exc.detail), headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's outermost middleware calls this, then re-raises for the server to log the traceback too.
        event_id = getattr(request.state, "event_id", None)
        log.error("%s %s failed unexpectedly (event %s)", request.method, request.url.path, event_id or "unknown",
                  exc_info=exc)
        problem = unexpected_problem(event_id)
        return problem_response(problem.status, problem.detail)

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors())
        return problem_response(422, f"The request is invalid: {fields}")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(Exception, on_unexpected)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _methods_at(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own 405 names only the first such route's
    (`PUT` where `PUT` and `DELETE` share a path), and RFC 9110 wants them all in `Allow`. Each method is
    tried against the routes (FastAPI wraps included routers, so the routes' own methods are not at hand)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]
