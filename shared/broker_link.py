"""A service's link to the broker: connected in the background, and whether it is up right now.

Neither service waits for its broker before it serves: the notifier answers 503 and the chat serves its
app while the link is down, and both catch up when it returns. This holds the robust connection, logs
one line when the link drops (or the broker does not answer at the start) and one when it is up again,
with the failed attempts and the time it was down, and says so to the health endpoints.

`while_up` runs a piece of broker work only while the link is up: a robust channel's operations wait,
without a deadline, for a link that is down, and a chat's socket handler must never wait that long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from yarl import URL

from herald.contract.broker_connection import (
    ATTEMPT_TIMEOUT_SECONDS,
    RECONNECT_INTERVAL_SECONDS,
    robust_connection,
    watch_attempts,
)
from herald.contract.logs import MASK

log = logging.getLogger("herald.broker")


class LinkDown(ConnectionError):
    """The broker link is down, or went down during the work."""


@dataclass(frozen=True)
class LinkStatus:
    up: bool
    down_for_seconds: float | None  # None while up
    failed_attempts: int  # since the link went down

    def as_json(self) -> dict[str, Any]:
        if self.up:
            return {"link": "up"}
        return {"link": "down", "down_for_seconds": round(self.down_for_seconds or 0.0, 1),
                "failed_attempts": self.failed_attempts}


class BrokerLink:
    def __init__(self, url: str, name: str, attempt_timeout: float = ATTEMPT_TIMEOUT_SECONDS) -> None:
        self.connection: AbstractRobustConnection = robust_connection(url, name)
        address = URL(url).with_query(None)
        self.where = str(address.with_password(MASK) if address.password else address)  # for the log
        self._attempt_timeout = attempt_timeout
        self._down_since: float | None = time.monotonic()
        self._failed_attempts = 0
        self._ever_up = False
        self._up = asyncio.Event()
        self._guarded: set[asyncio.Task[Any]] = set()  # tasks inside `while_up`
        self._cut_off: set[asyncio.Task[Any]] = set()  # of those, the ones cancelled because the link dropped
        self._connecting: asyncio.Task[None] | None = None

    @property
    def up(self) -> bool:
        # aio-pika's own flag: set before it reopens the channels (whose callbacks may ask), cleared on a drop.
        return self.connection.connected.is_set()

    def status(self) -> LinkStatus:
        if self.up:
            return LinkStatus(True, None, 0)
        since = self._down_since or time.monotonic()
        return LinkStatus(False, time.monotonic() - since, self._failed_attempts)

    async def wait_up(self) -> None:
        await self._up.wait()

    def start(self) -> None:
        """Connect in the background; aio-pika keeps trying until the broker answers, and after each drop."""
        watch_attempts(self.connection, self._attempt_failed)
        self.connection.close_callbacks.add(self._dropped)
        self.connection.reconnect_callbacks.add(self._returned)
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        await self.connection.connect(timeout=self._attempt_timeout)
        self._came_up()

    def _attempt_failed(self, reason: object) -> None:
        self._failed_attempts += 1
        if self._failed_attempts == 1 and not self._ever_up:
            log.warning("cannot connect to the broker at %s (%s); trying again every %g s in the background",
                        self.where, reason, RECONNECT_INTERVAL_SECONDS)

    def _returned(self, _connection: object = None) -> None:
        self._came_up()

    def _came_up(self) -> None:
        if self._down_since is None:
            return
        down_for = time.monotonic() - self._down_since
        if self._ever_up:
            log.info("the broker link to %s is back after %.1f s down and %d failed attempts", self.where,
                     down_for, self._failed_attempts)
        else:
            log.info("connected to the broker at %s (%.1f s after the start, %d failed attempts)", self.where,
                     down_for, self._failed_attempts)
        self._down_since, self._failed_attempts, self._ever_up = None, 0, True
        self._up.set()

    def _dropped(self, _connection: object = None, reason: BaseException | None = None) -> None:
        if self.connection.close_called or self._down_since is not None:
            return  # closed by us, or an attempt that failed while the link was already down
        self._down_since = time.monotonic()
        self._up.clear()
        log.warning("lost the broker link to %s (%s); reconnecting every %g s in the background", self.where,
                    reason or "closed", RECONNECT_INTERVAL_SECONDS)
        for task in self._guarded - self._cut_off:
            self._cut_off.add(task)
            task.cancel()

    @asynccontextmanager
    async def while_up(self) -> AsyncIterator[None]:
        """Run the block only while the link is up: `LinkDown` at once if it is down, and the block
        cancelled, then `LinkDown`, if the link drops before the block is done."""
        if not self.up:
            raise LinkDown("the broker link is down")
        task = asyncio.current_task()
        assert task is not None
        self._guarded.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if task not in self._cut_off:
                raise
            task.uncancel()
            raise LinkDown("the broker link dropped") from None
        finally:
            self._guarded.discard(task)
            self._cut_off.discard(task)

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
        await self.connection.close()
