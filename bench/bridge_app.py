"""The direct bridge, the ceiling of figure 3: a minimal Chainlit app (no auth, no inbox, no routing)
whose consumer pushes what it reads from one plain queue straight into the session the message names.

It is served and renders as Herald's chat does (`python -m herald.chat bench/bridge_app.py`: uvloop,
no nest_asyncio; a step emitted as `new_message`, not `cl.Message`, which sleeps 1 ms per message), so
the figure compares Herald's auth, inbox and routing with none, not two ways of running Chainlit.
BENCH_AMQP_URL and BENCH_BRIDGE_QUEUE configure it. A message is JSON:
{"session": <Chainlit session id>, "bench": <mark>, "content": <markdown>}.
"""

from __future__ import annotations

import json
import os
import uuid

import aio_pika
import chainlit as cl
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from chainlit.server import sio
from chainlit.session import WebsocketSession

from herald.chat.render import assistant_step

_links: list[AbstractConnection] = []


async def _deliver(message: AbstractIncomingMessage) -> None:
    async with message.process():
        payload = json.loads(message.body)
        session = WebsocketSession.get_by_id(payload["session"])
        if session is not None:
            step = assistant_step(str(uuid.uuid4()), session.thread_id, payload["content"], "bench",
                                  {"data": {"bench": payload["bench"]}})
            await sio.emit("new_message", step, to=session.socket_id)


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
