"""The answer store: each key keeps its own window, claims exclude each other, old state files still open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from herald.notifier.idempotency import AnswerStore, Claim
from herald.notifier.state_db import open_state_db

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


async def answered(store: AnswerStore, key: str, ttl: float) -> None:
    assert (await store.claim([key], ttl)).won
    await store.fulfil([key], ANSWER)


async def test_a_repeat_within_the_window_gets_the_first_answer(db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    await answered(store, "event:1", 24 * HOUR)
    clock.now += 23 * HOUR
    assert (await store.claim(["event:1"], 24 * HOUR)).answer == ANSWER


async def test_each_key_expires_by_its_own_window(db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    await answered(store, "event:1", 1 * HOUR)
    await answered(store, "webhook:github:d-1", 48 * HOUR)
    clock.now += 2 * HOUR
    assert (await store.claim(["event:1"], 1 * HOUR)).won
    assert (await store.claim(["webhook:github:d-1"], 48 * HOUR)).answer == ANSWER


async def test_purging_keeps_keys_whose_own_window_is_still_open(db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    await answered(store, "event:1", 1 * HOUR)
    await answered(store, "webhook:github:d-1", 48 * HOUR)
    clock.now += 2 * HOUR
    await store.purge_expired()
    async with db.execute("SELECT key FROM answers") as rows:
        assert [row[0] async for row in rows] == ["webhook:github:d-1"]


async def test_a_claim_in_flight_blocks_a_repeat_until_released(db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    assert (await store.claim(["webhook:s:d"], HOUR)).won
    assert (await store.claim(["webhook:s:d"], HOUR)).in_flight
    await store.release(["webhook:s:d"])
    assert (await store.claim(["webhook:s:d"], HOUR)).won


async def test_an_abandoned_claim_stops_blocking_after_the_pending_limit(
        db: aiosqlite.Connection, clock: Clock) -> None:
    store = await AnswerStore.create(db, clock)
    assert (await store.claim(["webhook:s:d"], 48 * HOUR)).won  # the process died before fulfilling
    clock.now += AnswerStore.PENDING_SECONDS + 1
    assert (await store.claim(["webhook:s:d"], 48 * HOUR)).won


# Several keys per request, a failed write, and purging around a claim in flight (found by mutation
# testing, tests/README.md).

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
