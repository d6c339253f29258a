"""Remember answers for a while, so a repeated request returns the first answer and publishes nothing.

Backed by the notifier's SQLite state, so it survives restarts and is shared by several notifier
workers on one host. The same store keeps seen webhook delivery ids, namespaced by their keys
(`webhook:<source>:<delivery id>`); each key carries its own expiry, so the events' idempotency
window and the webhooks' dedupe window are set apart.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    answer TEXT          -- NULL while the first request is still in flight
)
"""


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming keys: either ours to fill, or an earlier answer, or still in flight."""

    won: bool
    answer: dict[str, Any] | None = None

    @property
    def in_flight(self) -> bool:
        return not self.won and self.answer is None


class AnswerStore:
    # A claim whose request never finished (the process died mid-publish) stops blocking retries
    # after this long; publishing gives up well before it.
    PENDING_SECONDS = 120.0

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        # One connection carries every coroutine's statements: a write issued while a claim's
        # transaction is open would join it and vanish with its ROLLBACK. So every write takes the lock.
        self._transaction = asyncio.Lock()

    @classmethod
    async def create(cls, db: aiosqlite.Connection, clock: Callable[[], float] = time.time) -> AnswerStore:
        """A store on a connection of its own: its claim transactions must not take in others' writes."""
        await db.execute(_SCHEMA)
        return cls(db, clock)

    async def claim(self, keys: list[str], ttl_seconds: float) -> Claim:
        """Atomically take every key for `ttl_seconds`, or report the earlier answer held by one of them."""
        now = self._clock()
        async with self._transaction:
            return await self._claim(keys, now, now + ttl_seconds)

    async def _claim(self, keys: list[str], now: float, expires_at: float) -> Claim:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            marks = ",".join("?" * len(keys))
            await self._db.execute(
                f"DELETE FROM answers WHERE key IN ({marks})"  # noqa: S608
                " AND (expires_at <= ? OR (answer IS NULL AND created_at < ?))",
                (*keys, now, now - self.PENDING_SECONDS),
            )
            async with self._db.execute(f"SELECT answer FROM answers WHERE key IN ({marks})", keys) as rows:  # noqa: S608
                existing = [row[0] async for row in rows]
            if existing:
                await self._db.execute("ROLLBACK")
                answers = [answer for answer in existing if answer is not None]
                return Claim(won=False, answer=json.loads(answers[0]) if answers else None)
            await self._db.executemany("INSERT INTO answers (key, created_at, expires_at) VALUES (?, ?, ?)",
                                       [(key, now, expires_at) for key in keys])
            await self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
            raise
        return Claim(won=True)

    async def fulfil(self, keys: list[str], answer: dict[str, Any]) -> None:
        marks = ",".join("?" * len(keys))
        async with self._transaction:
            await self._db.execute(f"UPDATE answers SET answer = ? WHERE key IN ({marks})",  # noqa: S608
                                   (json.dumps(answer), *keys))

    async def release(self, keys: list[str]) -> None:
        """Forget a claim whose request failed, so that a retry is served afresh."""
        marks = ",".join("?" * len(keys))
        async with self._transaction:
            await self._db.execute(f"DELETE FROM answers WHERE key IN ({marks}) AND answer IS NULL", keys)  # noqa: S608

    async def purge_expired(self) -> None:
        """Delete expired answers and abandoned claims, each by its own key's window."""
        now = self._clock()
        async with self._transaction:
            await self._db.execute(
                "DELETE FROM answers WHERE expires_at <= ? OR (answer IS NULL AND created_at < ?)",
                (now, now - self.PENDING_SECONDS))

