"""Token buckets: a burst, then 429 with the draft's fields, then tokens back at the configured rate."""

from __future__ import annotations

import pytest

from herald.notifier.problems import Problem
from herald.notifier.rate_limits import (
    MAX_ADDRESSES,
    QUOTA_EXCEEDED,
    UNLIMITED,
    BucketTable,
    RateLimit,
    RateLimits,
    address_key,
)

pytestmark = pytest.mark.unit


class Clock:
    """Milliseconds that move only when the test says so."""

    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms


def test_a_bucket_allows_its_burst_then_refuses_until_a_token_is_back() -> None:
    clock = Clock()
    table = BucketTable("api-key", clock=clock)
    limit = RateLimit(per_second=2, burst=3)
    assert [table.take("ci", limit) for _ in range(3)] == [None, None, None]
    refused = table.take("ci", limit)
    assert refused is not None and refused.retry_after == 1  # 0.5 s to the next token, in whole seconds
    clock.ms += 499
    assert table.take("ci", limit) is not None
    clock.ms += 1
    assert table.take("ci", limit) is None  # one token back after 1/per_second
    assert table.take("ci", limit) is not None
    clock.ms += 1500  # three tokens' worth, but the bucket holds at most `burst`
    assert [table.take("ci", limit) is None for _ in range(4)] == [True, True, True, False]


def test_buckets_are_per_name() -> None:
    table = BucketTable("api-key", clock=Clock())
    limit = RateLimit(per_second=1, burst=1)
    assert table.take("ci", limit) is None
    assert table.take("ci", limit) is not None
    assert table.take("ops", limit) is None


def test_a_changed_limit_takes_effect_at_once() -> None:
    table = BucketTable("api-key", clock=Clock())
    assert table.take("ci", RateLimit(per_second=1, burst=1)) is None
    assert table.take("ci", RateLimit(per_second=1, burst=1)) is not None
    assert table.take("ci", RateLimit(per_second=10, burst=5)) is None  # raised in the file: a fresh bucket


def test_the_refusal_is_a_problem_with_retry_after_and_the_ratelimit_fields() -> None:
    table = BucketTable("api-key", clock=Clock())
    limit = RateLimit(per_second=0.5, burst=10)
    for _ in range(10):
        assert table.take("ci", limit) is None
    refused = table.take("ci", limit)
    assert refused is not None
    problem = refused.problem("Slow down.")
    assert problem.status == 429
    assert problem.headers == {
        "Retry-After": "2",
        # draft-ietf-httpapi-ratelimit-headers-10: a String item, q the quota, w its window in seconds
        "RateLimit-Policy": '"api-key";q=10;w=20',
        "RateLimit": '"api-key";r=0;t=2',
    }
    assert problem.extensions == {"type": QUOTA_EXCEEDED, "violated-policies": ["api-key"]}


def test_failed_authentication_is_counted_per_address_and_never_against_a_key() -> None:
    limits = RateLimits(RateLimit(per_second=1, burst=2), RateLimit(per_second=1, burst=3), clock=Clock())
    for _ in range(3):
        limits.charge_failure("203.0.113.9")
    with pytest.raises(Problem) as refused:
        limits.charge_failure("203.0.113.9")
    assert refused.value.status == 429 and '"unauthenticated"' in (refused.value.headers or {})["RateLimit"]
    limits.charge_failure("203.0.113.10")  # another address has its own budget
    limits.charge_key("ci", None)  # and the key its own, untouched by the failures
    limits.charge_key("ci", None)
    with pytest.raises(Problem):
        limits.charge_key("ci", None)  # the default limit: a burst of 2


def test_a_key_of_its_own_limit_or_unlimited() -> None:
    limits = RateLimits(RateLimit(per_second=1, burst=1), RateLimit(per_second=1, burst=1), clock=Clock())
    for _ in range(1000):
        limits.charge_key("bench", UNLIMITED)
    limits.charge_source("github", RateLimit(per_second=1, burst=2))
    limits.charge_source("github", RateLimit(per_second=1, burst=2))
    with pytest.raises(Problem) as refused:
        limits.charge_source("github", RateLimit(per_second=1, burst=2))
    assert (refused.value.headers or {})["RateLimit-Policy"] == '"webhook-source";q=2;w=2'


def test_the_address_table_forgets_the_least_recently_seen_beyond_its_bound() -> None:
    table = BucketTable("unauthenticated", max_names=2, clock=Clock())
    limit = RateLimit(per_second=1, burst=1)
    for address in ("a", "b", "a", "c"):  # "b" is the least recently seen when "c" comes
        table.take(address, limit)
    assert table.take("a", limit) is not None  # still remembered: refused
    assert table.take("b", limit) is None  # forgotten: a full bucket again
    assert MAX_ADDRESSES >= 1000


@pytest.mark.parametrize(("client", "bucket"), [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),  # one subscriber's /64 is one bucket
    ("::ffff:203.0.113.9", "203.0.113.9"),
    (None, "unknown"),
    ("testclient", "testclient"),
])
def test_addresses_are_bucketed_by_what_one_client_holds(client: str | None, bucket: str) -> None:
    assert address_key(client) == bucket


def test_a_limit_is_positive() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        RateLimit(per_second=0, burst=1)
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        RateLimit(per_second=1, burst=0)
