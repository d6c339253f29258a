"""What every error answer of the notifier must be: RFC 9457 problem+json with a detail a person can act on."""

from __future__ import annotations

from typing import Any

import httpx


def assert_problem(response: httpx.Response, status: int, *phrases: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["type"] == "about:blank"
    for phrase in phrases:
        assert phrase in str(problem["detail"]), problem["detail"]
    return problem
