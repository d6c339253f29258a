"""Publishing an event at most once per dedupe key: the one path for `/v1/events` and `/v1/webhooks`.

The keys are claimed before publishing and hold the answer afterwards, so a repeat gets the first
answer and publishes nothing. A publish that fails releases them, so the client's retry is served
afresh. A repeat that arrives while the first is still publishing gets a 409: a 2xx could tell the
sender "delivered" about an attempt that is about to fail, and some senders (Stripe) stop retrying
an event once any attempt got a 2xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from herald.contract.events import Event
from herald.notifier.broker_publisher import BrokerUnavailable
from herald.notifier.idempotency import AnswerStore
from herald.notifier.problems import Problem


class Publishes(Protocol):
    """The port `EventPublisher` fills: return once the broker confirmed, else raise `BrokerUnavailable`."""

    async def publish(self, event: Event) -> None: ...


@dataclass(frozen=True)
class Dedupe:
    """The keys a request is remembered by (none: not deduplicated), for how long, and how to name them."""

    keys: list[str] = field(default_factory=list)
    ttl_seconds: float = 0
    named: str = "this key"  # completes "A request with ... is still in flight"


@dataclass(frozen=True)
class Published:
    answer: dict[str, Any]
    # True when an earlier request with one of the keys got this answer, and nothing was published now.
    replayed: bool = False


async def publish_once(answers: AnswerStore, publisher: Publishes, event: Event, dedupe: Dedupe,
                       retry_after: int) -> Published:
    keys = dedupe.keys
    if keys:
        claim = await answers.claim(keys, dedupe.ttl_seconds)
        if claim.answer is not None:
            return Published(claim.answer, replayed=True)
        if claim.in_flight:
            raise Problem(409, f"A request with {dedupe.named} is still in flight; retry shortly.",
                          headers={"Retry-After": "1"})
    try:
        await publisher.publish(event)
    except BrokerUnavailable as exc:
        if keys:
            await answers.release(keys)
        raise Problem(503, f"The broker did not confirm the event: {exc}. Retry later; the same id is safe to retry.",
                      headers={"Retry-After": str(retry_after)}) from exc
    except BaseException:
        if keys:
            await answers.release(keys)
        raise
    answer = {"id": event.id, "status": "accepted"}
    if keys:
        await answers.fulfil(keys, answer)
    return Published(answer)
