"""A broker that accepts the socket but never answers the AMQP handshake does not hold a service's
connect for good: the attempt times out and is made again (real aio-pika, a silent loopback server)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from herald.contract.broker_connection import connect_until_up
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


async def test_a_silent_broker_is_tried_again() -> None:
    attempts: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(writer)

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connecting = asyncio.create_task(connect_until_up(f"amqp://guest:guest@127.0.0.1:{port}/", "test",
                                                      attempt_timeout=0.5))
    try:
        await wait_until(lambda: len(attempts) >= 2, timeout=15, what="a second connection attempt")
        assert not connecting.done()  # still trying: the service waits for its broker
    finally:
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
        for writer in attempts:
            writer.close()
        server.close()
        await server.wait_closed()
