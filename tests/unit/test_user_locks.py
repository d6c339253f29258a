"""UserLocks: one user at a time, other users in parallel, and nothing kept for users nobody waits on."""

from __future__ import annotations

import asyncio

import pytest

from herald.chat.user_locks import UserLocks

pytestmark = pytest.mark.unit


async def test_one_user_at_a_time_and_no_lock_kept_afterwards() -> None:
    locks, inside, most = UserLocks(), {"alice": 0, "bob": 0}, {"alice": 0, "bob": 0}

    async def work(user: str) -> None:
        async with locks.hold(user):
            inside[user] += 1
            most[user] = max(most[user], inside[user])
            await asyncio.sleep(0.001)  # work while holding the lock, not a wait for a condition
            inside[user] -= 1

    both_at_once = asyncio.Event()

    async def alice_waits_for_bob() -> None:
        async with locks.hold("alice"):
            await both_at_once.wait()  # bob must get in while alice is inside

    async def bob_meanwhile() -> None:
        async with locks.hold("bob"):
            both_at_once.set()

    await asyncio.wait_for(asyncio.gather(alice_waits_for_bob(), bob_meanwhile()), timeout=5)
    await asyncio.gather(*(work(user) for user in ["alice", "bob"] * 20))
    assert most == {"alice": 1, "bob": 1}
    assert len(locks) == 0  # a lock per user ever seen was a leak


async def test_a_waiter_keeps_the_lock_it_waits_for() -> None:
    """The holder leaving must not drop the lock from under a waiter (a third caller would then get a
    fresh lock and run beside the waiter)."""
    locks, order = UserLocks(), []
    first_in, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with locks.hold("alice"):
            order.append("first in")
            first_in.set()
            await release.wait()
        order.append("first out")

    async def later(name: str) -> None:
        async with locks.hold("alice"):
            order.append(f"{name} in")
            await asyncio.sleep(0.001)  # work while holding the lock, not a wait for a condition
            order.append(f"{name} out")

    holder = asyncio.create_task(first())
    await first_in.wait()
    second = asyncio.create_task(later("second"))
    release.set()
    await holder  # released; the second is waiting or in
    third = asyncio.create_task(later("third"))
    await asyncio.gather(second, third)
    assert order == ["first in", "first out", "second in", "second out", "third in", "third out"]
    assert len(locks) == 0
