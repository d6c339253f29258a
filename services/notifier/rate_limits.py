"""Token buckets per API key, per webhook source, and per client address for failed authentication.

The buckets are pyrate-limiter's `TokenBucket` (GCRA, one number of state per bucket) in its public
`StateBucket`, kept in this process's memory: each notifier worker limits on its own (see the README).
A refused request is answered 429 as problem+json with `Retry-After` and the IETF RateLimit fields
(draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy: "name";q=..;w=..` and
`RateLimit: "name";r=..;t=..`).

Who pays: a request that authenticated pays from its key's (or its webhook source's) bucket, and
nobody else can spend that budget, since spending it takes the key (or a valid signature). A request
that fails authentication (no key, an unknown key, an unknown webhook source, a bad signature) pays
from its client address's bucket instead, so a flood of guesses is answered 429 without touching any
real key's budget.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pyrate_limiter import Decision, Rate, RateItem, StateBucket, TokenBucket
from starlette.requests import Request

from herald.notifier.problems import Problem

log = logging.getLogger("herald.notifier.rate_limits")

QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded"
# Addresses are remembered at most this many at once, the least recently seen forgotten first, so a
# flood from many addresses costs bounded memory (a forgotten address starts again with a full bucket).
MAX_ADDRESSES = 10_000


class RateLimit(BaseModel):
    """A token bucket: `burst` requests at once, refilled at `per_second`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_second: Annotated[float, Field(gt=0, le=1_000_000)]
    burst: Annotated[int, Field(ge=1, le=1_000_000)]

    def rate(self) -> Rate:
        # A bucket of `burst` tokens refilling at `per_second` is GCRA's `burst` units per
        # burst/per_second seconds (pyrate-limiter wants whole milliseconds; 0.5 ms off at most).
        return Rate(self.burst, max(1, round(self.burst * 1000 / self.per_second)), burst=self.burst)

    def window_seconds(self) -> int:
        """The draft's `w`: the seconds in which the bucket refills from empty (whole, at least 1)."""
        return max(1, math.ceil(self.burst / self.per_second))


UNLIMITED: Literal["unlimited"] = "unlimited"
# In a keys entry or a webhook source: a limit of its own, "unlimited", or absent (the notifier's default).
RateLimitSetting = RateLimit | Literal["unlimited"] | None


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


@dataclass(frozen=True)
class Exceeded:
    """A refusal: which policy, its limit, and whole seconds until a token is back."""

    policy: str
    limit: RateLimit
    retry_after: int

    def problem(self, detail: str) -> Problem:
        return Problem(429, f"{detail} Retry after {self.retry_after} s.", headers={
            "Retry-After": str(self.retry_after),
            "RateLimit-Policy": f'"{self.policy}";q={self.limit.burst};w={self.limit.window_seconds()}',
            "RateLimit": f'"{self.policy}";r=0;t={self.retry_after}',
        }, type=QUOTA_EXCEEDED, **{"violated-policies": [self.policy]})


class _Entry:
    __slots__ = ("bucket", "limit", "refused")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.bucket = StateBucket([limit.rate()], algorithm=TokenBucket())
        self.refused = False  # the last request was refused: log only the first of a run


class BucketTable:
    """A token bucket per name, each with the limit it is asked with; at most `max_names` of them."""

    def __init__(self, policy: str, max_names: int | None = None, clock: Callable[[], int] = _monotonic_ms) -> None:
        self.policy = policy
        self._max_names = max_names
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def take(self, name: str, limit: RateLimit) -> Exceeded | None:
        """Take a token from `name`'s bucket; None when there was one, else the refusal."""
        entry = self._entries.get(name)
        if entry is None or (entry.limit is not limit and entry.limit != limit):  # new, or changed in the file
            entry = self._entries[name] = _Entry(limit)
            if self._max_names is not None and len(self._entries) > self._max_names:
                self._entries.popitem(last=False)
        elif self._max_names is not None:
            self._entries.move_to_end(name)
        decision = entry.bucket.put_decision(RateItem(name, self._clock()))
        assert isinstance(decision, Decision)  # an in-memory store decides synchronously
        if decision.allowed:
            entry.refused = False
            return None
        if not entry.refused:  # once per run of refusals, so a flood does not flood the log too
            entry.refused = True
            log.warning("rate limit: %s %s is over %g/s (burst %d); answering 429", self.policy, name,
                        limit.per_second, limit.burst)
        wait_ms = decision.retry_after_ms if decision.retry_after_ms is not None else 1000
        return Exceeded(self.policy, limit, max(1, math.ceil(wait_ms / 1000)))


class RateLimits:
    """The notifier's three tables of buckets, with the default limit and the failed-authentication limit."""

    def __init__(self, default: RateLimit, unauthenticated: RateLimit,
                 clock: Callable[[], int] = _monotonic_ms) -> None:
        self.default = default
        self.unauthenticated = unauthenticated
        self.keys = BucketTable("api-key", clock=clock)
        self.sources = BucketTable("webhook-source", clock=clock)
        self.addresses = BucketTable("unauthenticated", MAX_ADDRESSES, clock=clock)

    def charge_key(self, name: str, setting: RateLimitSetting) -> None:
        """Raise the 429 problem when the API key `name` is over its limit."""
        if (exceeded := self._take(self.keys, name, setting)) is not None:
            raise exceeded.problem("This API key sent more requests than its rate limit allows.")

    def charge_source(self, name: str, setting: RateLimitSetting) -> None:
        """Raise the 429 problem when the webhook source `name` is over its limit."""
        if (exceeded := self._take(self.sources, name, setting)) is not None:
            raise exceeded.problem("This webhook source sent more deliveries than its rate limit allows.")

    def charge_failure(self, client: str | None) -> None:
        """Count a failed authentication against the client's address; raise the 429 problem when over."""
        exceeded = self.addresses.take(address_key(client), self.unauthenticated)
        if exceeded is not None:
            raise exceeded.problem("Too many requests from this address failed authentication.")

    def _take(self, table: BucketTable, name: str, setting: RateLimitSetting) -> Exceeded | None:
        if setting == UNLIMITED:
            return None
        return table.take(name, setting if isinstance(setting, RateLimit) else self.default)


def client_address(request: Request) -> str | None:
    """The peer's address; behind a proxy, uvicorn puts the forwarded one here when FORWARDED_ALLOW_IPS trusts it."""
    return request.client.host if request.client else None


def address_key(client: str | None) -> str:
    """The bucket of a client address: IPv4 as is, IPv6 by its /64, which one subscriber usually holds whole."""
    if client is None:
        return "unknown"
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client  # e.g. a unix socket's peer: one bucket for it
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
