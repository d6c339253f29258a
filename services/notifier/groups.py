"""Group memberships: the notifier's record of who is in which group.

Routing does not read this table: a member's inbox is bound to the group's routing key, so the broker
fans a group event out by itself. The table answers "who is in G" and survives restarts; the
bindings are durable on the broker. Both are written on every change, bindings first.
"""

from __future__ import annotations

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS group_members (
    group_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (group_name, user_id)
)
"""


class GroupStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def create(cls, db: aiosqlite.Connection) -> GroupStore:
        await db.execute(_SCHEMA)
        return cls(db)

    async def add(self, group: str, user: str) -> bool:
        """Add a member; False when they were one already."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO group_members (group_name, user_id) VALUES (?, ?)", (group, user))
        return cursor.rowcount == 1

    async def remove(self, group: str, user: str) -> bool:
        """Remove a member; False when they were not one."""
        cursor = await self._db.execute(
            "DELETE FROM group_members WHERE group_name = ? AND user_id = ?", (group, user))
        return cursor.rowcount == 1

    async def members(self, group: str) -> list[str]:
        async with self._db.execute(
                "SELECT user_id FROM group_members WHERE group_name = ? ORDER BY user_id", (group,)) as rows:
            return [row[0] async for row in rows]
