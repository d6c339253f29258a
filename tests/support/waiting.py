"""Waiting for a condition with a deadline, never for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition"  # noqa: ASYNC109
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "the condition"  # noqa: ASYNC109
) -> None:
    """`wait_until` for a condition that has to ask something over the network."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.1)
