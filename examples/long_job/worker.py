"""The long-job worker: `python -m examples.long_job.worker`.

It takes job requests from the queue the chat puts them on, runs each job's slow, blocking steps in a
thread (so its own event loop keeps serving the broker and SIGTERM), and POSTs progress and the outcome
to Herald's notifier for the session that asked. A request is acknowledged only once its outcome is
accepted: a worker stopped or killed mid-job leaves it on the queue, and the next worker runs it again
(the events' ids make the messages already shown count once, job_events.py).

Settings (environment): HERALD_AMQP_URL, HERALD_NOTIFIER_URL, HERALD_KEY (an API key with the
events:publish scope), LONG_JOB_QUEUE, LONG_JOB_STEP_SECONDS, LONG_JOB_CONCURRENCY.
SIGTERM or SIGINT stops it: no new jobs, the running ones put back on the queue, exit status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass
from functools import partial

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from pydantic import ValidationError

from examples.long_job import job_events
from examples.long_job.jobs import JobRequest, declare_queue
from examples.long_job.notifier_client import NotifierClient, NotifierRefused

log = logging.getLogger("long_job.worker")


@dataclass(frozen=True)
class WorkerSettings:
    amqp_url: str
    notifier_url: str
    api_key: str
    step_seconds: float
    concurrency: int

    @classmethod
    def from_env(cls) -> WorkerSettings:
        env = os.environ
        return cls(amqp_url=env.get("HERALD_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
                   notifier_url=env.get("HERALD_NOTIFIER_URL", "http://127.0.0.1:8000"),
                   api_key=env["HERALD_KEY"], step_seconds=float(env.get("LONG_JOB_STEP_SECONDS", "1")),
                   concurrency=int(env.get("LONG_JOB_CONCURRENCY", "4")))


def slow_step(seconds: float) -> None:
    """Stands in for your real work: blocking, as a model call, a report or a build often is."""
    time.sleep(seconds)


async def run_job(job: JobRequest, notifier: NotifierClient, step_seconds: float) -> None:
    started = time.monotonic()
    try:
        for step in range(1, job.steps + 1):
            await asyncio.to_thread(slow_step, step_seconds)  # off the loop: the worker stays responsive
            await notifier.post(job_events.progress(job, step))
        outcome = job_events.finished(job, time.monotonic() - started)
    except NotifierRefused:
        raise
    except Exception as exc:  # the job's own failure: the user is told, in the same conversation
        log.exception("job %s failed", job.job)
        outcome = job_events.failed(job, type(exc).__name__)
    await notifier.post(outcome)


async def handle(message: AbstractIncomingMessage, notifier: NotifierClient, step_seconds: float) -> None:
    try:
        job = JobRequest.model_validate_json(message.body)
    except ValidationError as exc:
        log.error("refusing job request %s: %s", message.message_id, exc.errors()[0]["msg"])
        await message.reject(requeue=False)
        return
    log.info("job %s: %d steps for session %s", job.job, job.steps, job.session)
    try:
        await run_job(job, notifier, step_seconds)
    except Exception:  # refused for good by the notifier, or a bug: the same request again cannot help
        log.exception("job %s dropped", job.job)
        await message.reject(requeue=False)
        return
    # Cancelled (stopping): no ack, so the broker hands the request to the next worker.
    try:
        await message.ack()
    except (AMQPError, ChannelInvalidStateError):  # the link dropped: the broker will hand it out again
        log.warning("job %s done, but its ack was lost; a rerun shows each message once", job.job)
        return
    log.info("job %s done", job.job)


def _finished(running: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
    running.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        # Unacked, the request returns to the queue when the worker's channel closes.
        log.error("job handling failed", exc_info=error)


async def connect(url: str, stop: asyncio.Event) -> AbstractRobustConnection | None:
    """The broker, tried every 2 s until it answers or the worker is told to stop."""
    while not stop.is_set():
        try:
            return await aio_pika.connect_robust(url)
        except (OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
            log.warning("broker unreachable (%s); trying again", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=2)
    return None


async def serve(settings: WorkerSettings, stop: asyncio.Event) -> None:
    notifier = NotifierClient(settings.notifier_url, settings.api_key)
    connection = await connect(settings.amqp_url, stop)
    running: set[asyncio.Task[None]] = set()
    try:
        if connection is None:
            return
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=settings.concurrency)  # jobs at once, per worker
        queue = await declare_queue(channel)

        async def take(message: AbstractIncomingMessage) -> None:
            task = asyncio.create_task(handle(message, notifier, settings.step_seconds))
            running.add(task)
            task.add_done_callback(partial(_finished, running))

        tag = await queue.consume(take)
        log.info("worker ready on queue %s", queue.name)
        await stop.wait()
        await queue.cancel(tag)
        for task in list(running):
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    finally:
        if connection is not None:
            await connection.close()  # unacknowledged requests go back to the queue
        await notifier.close()
        log.info("worker stopped")


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await serve(WorkerSettings.from_env(), stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per POST; the worker logs each job itself
    asyncio.run(main())
