"""The chat's health endpoints for Herald: `/herald/healthz` and `/herald/readyz`.

- `/herald/healthz`: 200 while the process serves, saying whether delivery is live and whether the
  broker link is up (and if not, for how long it has been down). The chat serves its app without the
  broker, so this, not readyz, is the check for a load balancer or a liveness probe.
- `/herald/readyz`: 200 while delivery is live, else 503 (problem+json, with Retry-After): for
  monitoring, and for a deployment that would rather not send users to a replica whose notifications
  wait.

Under /herald/, as the app that embeds Herald may have its own /healthz. `install` puts the routes on
Chainlit's app ahead of its catch-all route, which serves the frontend at every other path and would
otherwise answer these too; an app that mounts Chainlit includes `router` in its own app instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from herald.chat import liveness

RETRY_AFTER_SECONDS = 5
router = APIRouter(prefix="/herald", tags=["herald"])


@router.get("/healthz", summary="The chat serves; whether Herald's delivery is live")
async def healthz() -> dict[str, Any]:
    return {"status": "ok", **liveness.status()}


@router.get("/readyz", summary="Herald's delivery is live")
async def readyz() -> JSONResponse:
    if liveness.is_live():
        return JSONResponse({"status": "ready", **liveness.status()})
    problem = {"type": "about:blank", "title": "Service Unavailable", "status": 503,
               "detail": "Herald's delivery is not live: notifications wait until the broker link is up.",
               **liveness.status()}
    return JSONResponse(problem, status_code=503, media_type="application/problem+json",
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install(app: FastAPI) -> None:
    """Add the routes to Chainlit's own app, ahead of its catch-all; once, however often it is called."""
    paths = {getattr(route, "path", None) for route in app.router.routes}
    new = [route for route in router.routes if getattr(route, "path", None) not in paths]
    app.router.routes[0:0] = new
