"""The notifier's composition root: settings, keyring, answer store and publisher, wired in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from herald.contract.agreed_settings import agree_or_exit
from herald.contract.gc_thresholds import use_serving_thresholds
from herald.contract.topology import InboxArguments
from herald.notifier import batch_route, events_route, groups_route, webhooks_route
from herald.notifier.api_keys_file import ApiKeysFile
from herald.notifier.broker_publisher import EventPublisher
from herald.notifier.config import NotifierSettings
from herald.notifier.deps import NotifierDeps, notifier_deps
from herald.notifier.groups import GroupStore
from herald.notifier.idempotency import AnswerStore
from herald.notifier.openapi import install_openapi, schema_ref
from herald.notifier.problems import PROBLEM_JSON, ProblemDetails, install_problem_handlers, problem_response
from herald.notifier.rate_limits import RateLimit, RateLimits
from herald.notifier.state_db import open_state_db
from herald.notifier.webhooks import SourcesFile

log = logging.getLogger("herald.notifier")


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    # Read the keys and webhook sources before serving, so a broken file stops the start with a clear
    # message; both are read again whenever they change.
    keyring = ApiKeysFile(settings.api_keys_file)
    webhook_sources = SourcesFile.open(settings.webhook_sources_file)

    rate_limits = RateLimits(
        RateLimit(per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst),
        RateLimit(per_second=settings.failed_auth_per_second, burst=settings.failed_auth_burst))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        use_serving_thresholds()  # here: uvicorn's worker processes each run the lifespan
        # A connection each: the answer store's transactions must not take in the group store's writes.
        answers_db, groups_db = await open_state_db(settings.state_db), await open_state_db(settings.state_db)
        publisher = EventPublisher(
            settings.amqp_url, InboxArguments.from_settings(settings), settings.publish_timeout_seconds,
            check_settings=partial(agree_or_exit, settings=settings, process="herald-notifier"))
        answers = await AnswerStore.create(answers_db)
        app.state.deps = NotifierDeps(settings, keyring, webhook_sources, rate_limits, answers,
                                      await GroupStore.create(groups_db), publisher)
        publisher.start()
        purging = asyncio.create_task(_purge_hourly(answers))
        try:
            yield
        finally:
            purging.cancel()
            await publisher.close()
            await answers_db.close()
            await groups_db.close()

    app = FastAPI(title="Herald notifier", version="1", lifespan=lifespan,
                  description="Publishes events to the people in live Chainlit chats.")
    install_problem_handlers(app)
    install_openapi(app)
    app.include_router(events_route.router)
    app.include_router(batch_route.router)
    app.include_router(groups_route.router)
    app.include_router(webhooks_route.router)

    @app.get("/healthz", summary="The process is up; says whether the broker link is")
    async def healthz(request: Request) -> dict[str, Any]:
        return {"status": "ok", "broker": notifier_deps(request).publisher.link_status().as_json()}

    @app.get("/readyz", summary="The broker link is up and events can be published",
             responses={503: {"description": "Not connected to the broker yet, or no longer.",
                              "content": {PROBLEM_JSON: {"schema": schema_ref(ProblemDetails)}}}})
    async def readyz(request: Request) -> JSONResponse:
        publisher = notifier_deps(request).publisher
        if publisher.ready:
            return JSONResponse({"status": "ready"})
        status = publisher.link_status()
        detail = ("The notifier is not connected to the broker" +
                  (f" (down for {status.down_for_seconds:.0f} s)." if status.down_for_seconds is not None else "."))
        return problem_response(503, detail, headers={"Retry-After": str(settings.retry_after_seconds)},
                                broker=status.as_json())

    return app


async def _purge_hourly(answers: AnswerStore) -> None:
    while True:
        await asyncio.sleep(3600)
        try:
            await answers.purge_expired()
        except Exception:
            log.exception("purging old idempotency answers failed; trying again in an hour")
