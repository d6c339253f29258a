"""A dropped tab's grace (services/chat/reconnect_grace.py): its expiry runs once, after the grace
from the tab's last drop; closing the replica cancels the graces running."""

from __future__ import annotations

import asyncio

import pytest

from herald.chat.reconnect_grace import ReconnectGrace
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


async def test_only_the_last_drops_grace_counts_and_close_cancels_the_rest() -> None:
    expired: list[str] = []

    async def hand_back(session_id: str) -> None:
        expired.append(session_id)

    grace = ReconnectGrace(0.2, hand_back)
    grace.start("dropped once")
    grace.start("dropped twice")
    await asyncio.sleep(0.1)  # pacing: the second drop comes halfway through its first grace
    grace.start("dropped twice")  # a new grace, from now
    await wait_until(lambda: expired == ["dropped once"], timeout=5, what="the first grace to pass")
    assert grace.running("dropped twice") and not grace.running("dropped once")
    await wait_until(lambda: "dropped twice" in expired, timeout=5, what="the renewed grace to pass")
    grace.start("closed")
    grace.close()
    assert not grace.running("closed")
    await asyncio.sleep(0.3)  # a negative window: longer than the grace, and nothing may expire in it
    assert expired == ["dropped once", "dropped twice"]
