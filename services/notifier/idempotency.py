"""Remember answers for a while, so a repeated request returns the first answer and publishes nothing.

Backed by the notifier's SQLite state, so it survives restarts and is shared by several notifier
workers on one host. The same store keeps seen webhook delivery ids.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
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

    def __init__(self, db: aiosqlite.Connection, ttl_seconds: float) -> None:
        self._db = db
        self._ttl = ttl_seconds
        # One connection carries every coroutine's statements, so transactions must not interleave.
        self._transaction = asyncio.Lock()

    @classmethod
    async def create(cls, db: aiosqlite.Connection, ttl_seconds: float) -> AnswerStore:
        await db.execute(_SCHEMA)
        return cls(db, ttl_seconds)

    async def claim(self, keys: list[str]) -> Claim:
        """Atomically take every key, or report the earlier answer held by one of them."""
        now = time.time()
        async with self._transaction:
            return await self._claim(keys, now)

    async def _claim(self, keys: list[str], now: float) -> Claim:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            marks = ",".join("?" * len(keys))
            await self._db.execute(
                f"DELETE FROM answers WHERE key IN ({marks})"  # noqa: S608
                " AND (created_at < ? OR (answer IS NULL AND created_at < ?))",
                (*keys, now - self._ttl, now - self.PENDING_SECONDS),
            )
            async with self._db.execute(f"SELECT answer FROM answers WHERE key IN ({marks})", keys) as rows:  # noqa: S608
                existing = [row[0] async for row in rows]
            if existing:
                await self._db.execute("ROLLBACK")
                answers = [answer for answer in existing if answer is not None]
                return Claim(won=False, answer=json.loads(answers[0]) if answers else None)
            await self._db.executemany("INSERT INTO answers (key, created_at) VALUES (?, ?)",
                                       [(key, now) for key in keys])
            await self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
            raise
        return Claim(won=True)

    async def fulfil(self, keys: list[str], answer: dict[str, Any]) -> None:
        marks = ",".join("?" * len(keys))
        await self._db.execute(f"UPDATE answers SET answer = ? WHERE key IN ({marks})",  # noqa: S608
                               (json.dumps(answer), *keys))

    async def release(self, keys: list[str]) -> None:
        """Forget a claim whose request failed, so that a retry is served afresh."""
        marks = ",".join("?" * len(keys))
        await self._db.execute(f"DELETE FROM answers WHERE key IN ({marks}) AND answer IS NULL", keys)  # noqa: S608

    async def purge_expired(self) -> None:
        await self._db.execute("DELETE FROM answers WHERE created_at < ?", (time.time() - self._ttl,))
