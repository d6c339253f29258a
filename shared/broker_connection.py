"""Opening the broker connection both services hold.

aio-pika's robust connection re-establishes itself after a drop. With `fail_fast` off it also keeps
retrying the first connect, so a service started before its broker simply waits for it. aio-pika
logs each failed attempt with the URL's password masked.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractRobustConnection

RECONNECT_INTERVAL_SECONDS = 2


async def connect_until_up(url: str, name: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(
        url, client_properties={"connection_name": name}, fail_fast=False,
        reconnect_interval=RECONNECT_INTERVAL_SECONDS)
