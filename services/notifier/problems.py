"""RFC 9457 problem details: every error the notifier answers is `application/problem+json`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


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


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.detail, exc.headers, **exc.extensions)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def on_request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = "; ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors())
        return problem_response(422, f"The request is invalid: {fields}")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
