"""Serving an ASGI app factory the notifier's way: uvloop, httptools, no access log, N worker processes.

One place for the server settings, so the benchmark's empty-endpoint ceiling runs under exactly these.
"""

from __future__ import annotations

import uvicorn

from herald.contract.logs import logging_config


def serve(factory: str, host: str, port: int, workers: int = 1, log_level: str = "info",
          root_path: str = "") -> None:
    """Run `factory` ("module:function", called with no arguments in each worker) until stopped.

    `root_path` is the prefix a reverse proxy strips before it forwards (docs/deploy.md): the app routes
    without it and names it in its OpenAPI `servers` and its docs page."""
    uvicorn.run(factory, factory=True, host=host, port=port, workers=workers, loop="uvloop", http="httptools",
                log_config=logging_config(log_level), log_level=log_level, access_log=False, root_path=root_path)
