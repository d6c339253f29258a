"""The ceiling of figure 1: an empty FastAPI POST endpoint, served with the notifier's server settings.

`python -m bench.empty_app --port P --workers N`. It reads the same body with a small pydantic model and
answers 202 like the notifier, and does nothing else. It keeps CPython's default collector thresholds,
which the notifier raises (shared/gc_thresholds.py): answering each request in one step, it collected
5 times in 43,000 requests, and with the notifier's thresholds it measured no faster (six alternating
in-process runs: 128-152 µs a request with the defaults, 130-168 with the notifier's).
"""

from __future__ import annotations

import argparse
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from herald.notifier.server import serve


class Ping(BaseModel):
    target: dict[str, Any]
    body: str


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/events", status_code=202)
    async def accept(ping: Ping) -> dict[str, str]:
        return {"status": "accepted"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve("bench.empty_app:create_app", args.host, args.port, args.workers, log_level="warning")


if __name__ == "__main__":
    main()
