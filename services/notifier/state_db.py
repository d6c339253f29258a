"""The notifier's SQLite state file: idempotency answers and group memberships.

aiosqlite runs each statement on a thread of its own, so the event loop never waits on the disk.
WAL lets several connections (and notifier workers on one host) share the file.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite


async def open_state_db(path: Path) -> aiosqlite.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("PRAGMA busy_timeout=5000")
    return db
