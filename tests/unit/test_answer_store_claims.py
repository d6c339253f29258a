"""The answer store with several keys per request, a failed write, and purging around a claim in flight (found by
mutation testing, tests/README.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from services.notifier.idempotency import AnswerStore, Claim
from services.notifier.state_db import open_state_db

pytestmark = pytest.mark.unit

HOUR = 3600.0
ANSWER = {"id": "evt_1", "status": "accepted"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_state_db(tmp_path / "state.sqlite3")
    yield connection
    await connection.close()


async def test_several_keys_are_claimed_answered_and_released_together(db: aiosqlite.Connection,
                                                                        clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    assert await store.claim(["event:1", "idem:k"], HOUR) == Claim(won=True)
    assert await store.claim(["idem:k"], HOUR) == Claim(won=False)  # in flight
    await store.release(["event:1", "idem:k"])
    assert await store.claim(["event:1", "idem:k"], HOUR) == Claim(won=True)
    await store.fulfil(["event:1", "idem:k"], ANSWER)
    assert await store.claim(["event:1"], HOUR) == Claim(won=False, answer=ANSWER)
    assert await store.claim(["idem:k"], HOUR) == Claim(won=False, answer=ANSWER)


async def test_a_claim_whose_write_fails_leaves_no_transaction_and_no_key(db: aiosqlite.Connection,
                                                                          clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    # The write fails inside the claim's transaction, as on a full disk.
    await db.execute("CREATE TEMP TRIGGER full_disk BEFORE INSERT ON answers BEGIN SELECT RAISE(ABORT, 'full'); END")
    with pytest.raises(aiosqlite.Error, match="full"):
        await store.claim(["event:1"], HOUR)
    assert not db.in_transaction
    await db.execute("DROP TRIGGER full_disk")
    assert await store.claim(["event:1"], HOUR) == Claim(won=True)


async def test_purging_keeps_a_claim_still_in_flight(db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    assert (await store.claim(["event:1"], HOUR)).won
    clock.now += AnswerStore.PENDING_SECONDS - 1
    await store.purge_expired()
    assert (await store.claim(["event:1"], HOUR)).in_flight
    clock.now += 2
    await store.purge_expired()
    assert (await store.claim(["event:1"], HOUR)).won
