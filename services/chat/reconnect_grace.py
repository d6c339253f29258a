"""Each dropped tab's grace to come back (HERALD_RECONNECT_GRACE_SECONDS) before the user's events in
its queue go back to their inbox (replica.py hands them back). A tab that drops again while its grace
runs gets a new one: only the last drop's grace counts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class ReconnectGrace:
    def __init__(self, seconds: float, expired: Callable[[str], Coroutine[Any, Any, None]]) -> None:
        self._seconds = seconds
        self._expired = expired
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # expiries running (the loop keeps weak refs)

    def start(self, session_id: str) -> None:
        """Give the tab its grace, from now; `expired(session_id)` runs once it has passed."""
        if (earlier := self._timers.pop(session_id, None)) is not None:
            earlier.cancel()
        self._timers[session_id] = asyncio.get_running_loop().call_later(self._seconds, self._expire, session_id)

    def running(self, session_id: str) -> bool:
        return session_id in self._timers

    def _expire(self, session_id: str) -> None:
        self._timers.pop(session_id, None)
        task = asyncio.create_task(self._expired(session_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
