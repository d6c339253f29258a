"""The direct bridge, the ceiling of figure 3: a minimal Chainlit app (no auth, no inbox, no routing)
whose consumer pushes what it reads from one plain queue straight into the session the message names.

`chainlit run bench/bridge_app.py`, with BENCH_AMQP_URL and BENCH_BRIDGE_QUEUE. A message is JSON:
{"session": <Chainlit session id>, "bench": <mark>, "content": <markdown>}.
"""

from __future__ import annotations

import asyncio
import json
import os

import aio_pika
import chainlit as cl
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession

_links: list[AbstractConnection] = []


async def _push(session: WebsocketSession, payload: dict[str, str]) -> None:
    init_ws_context(session)  # a task of its own, so the context stays with this push
    await cl.Message(content=payload["content"], author="bench", metadata={"data": {"bench": payload["bench"]}}).send()


async def _deliver(message: AbstractIncomingMessage) -> None:
    async with message.process():
        payload = json.loads(message.body)
        session = WebsocketSession.get_by_id(payload["session"])
        if session is not None:
            await asyncio.create_task(_push(session, payload))


@cl.on_chat_start
async def opened() -> None:
    """Nothing to show: Chainlit only runs an app that has a chat hook."""


@cl.on_app_startup
async def start() -> None:
    connection = await aio_pika.connect(os.environ["BENCH_AMQP_URL"])
    _links.append(connection)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=100)
    queue = await channel.declare_queue(os.environ["BENCH_BRIDGE_QUEUE"], durable=True)
    await queue.consume(_deliver)


@cl.on_app_shutdown
async def stop() -> None:
    for connection in _links:
        await connection.close()
