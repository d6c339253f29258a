"""Opening the broker connection both services hold.

aio-pika's robust connection re-establishes itself after a drop. With `fail_fast` off it also keeps
retrying the first connect, so a service started before its broker simply waits for it. aio-pika
logs each failed attempt with the URL's password masked.

Each attempt, the AMQP handshake included, is bounded: aiormq waits for the broker's handshake
frames without a deadline, so a broker that accepts the socket but does not answer (overloaded, or
still booting) would hold a service's start, or its reconnect, for good. A timed-out attempt is
retried like a refused one.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from aio_pika.connection import make_url

RECONNECT_INTERVAL_SECONDS = 2
ATTEMPT_TIMEOUT_SECONDS = 15


async def connect_until_up(url: str, name: str,
                           attempt_timeout: float = ATTEMPT_TIMEOUT_SECONDS) -> AbstractRobustConnection:
    # aio_pika.connect_robust() as it is written, but closing the connection when the wait is given up
    # (the service stops before its broker came): else its reconnect loop would go on trying.
    connection = aio_pika.RobustConnection(
        make_url(url, fail_fast=False, reconnect_interval=RECONNECT_INTERVAL_SECONDS),
        client_properties={"connection_name": name})
    try:
        await connection.connect(timeout=attempt_timeout)
    except BaseException:
        await connection.close()
        raise
    return connection
