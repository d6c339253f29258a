"""One lock per user, so one user's connects and disconnects do not interleave their queue (un)bindings
while other users' need not wait. A user's lock exists only while someone holds or waits for it: a
replica that sees a hundred thousand users over its life does not keep a hundred thousand locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class UserLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # the lock, and how many hold or wait for it

    @asynccontextmanager
    async def hold(self, user: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(user, (asyncio.Lock(), 0))
        self._locks[user] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[user]
            if users == 1:
                del self._locks[user]
            else:
                self._locks[user] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
