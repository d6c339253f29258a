"""A job request, and the durable queue that carries it from the chat to the worker.

The chat and the worker both declare the queue (same arguments), so either may start first. The request
is published persistent and confirmed: once the chat has told the user "queued", a broker restart does
not lose the job.
"""

from __future__ import annotations

import asyncio
import os

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue, AbstractRobustConnection
from pydantic import BaseModel, ConfigDict, Field

from herald.contract.events import SessionId, ThreadId, UserId

DEFAULT_QUEUE = "long-jobs"
MAX_STEPS = 20


def queue_name() -> str:
    return os.environ.get("LONG_JOB_QUEUE", DEFAULT_QUEUE)


class JobRequest(BaseModel):
    """Where the job's progress and result go: the user, their tab (Chainlit session) and its thread."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job: str = Field(pattern=r"^[0-9a-f]{32}$")
    user: UserId
    session: SessionId
    thread: ThreadId
    steps: int = Field(ge=1, le=MAX_STEPS)  # a button's payload comes from the browser: bound it


async def declare_queue(channel: AbstractChannel) -> AbstractQueue:
    return await channel.declare_queue(queue_name(), durable=True)


class JobQueue:
    """The chat's side: one robust connection, opened on the first job, so the chat serves without it."""

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._channel: AbstractChannel | None = None
        self._connection: AbstractRobustConnection | None = None
        self._opening = asyncio.Lock()

    async def submit(self, request: JobRequest) -> None:
        """Returns once the broker holds the request durably; raises if it cannot."""
        channel = await self._open()
        message = aio_pika.Message(request.model_dump_json().encode(), content_type="application/json",
                                   message_id=request.job, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        # mandatory: a request no queue takes raises instead of vanishing.
        await channel.default_exchange.publish(message, routing_key=queue_name(), mandatory=True)

    async def _open(self) -> AbstractChannel:
        async with self._opening:
            if self._channel is None:
                connection = await asyncio.wait_for(aio_pika.connect_robust(self._url), timeout=10)
                try:
                    channel = await connection.channel(publisher_confirms=True)
                    await declare_queue(channel)
                except BaseException:
                    await connection.close()
                    raise
                self._connection, self._channel = connection, channel
            return self._channel

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = None
