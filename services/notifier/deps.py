"""What the notifier's routes depend on, typed, in one object the lifespan makes once (app.py).

Routes get it with `notifier_deps(request)`, a plain call rather than an `Annotated[..., Depends(...)]`
parameter, for the reason auth.py gives: FastAPI resolving even an async dependency cost ~13 µs a request
here (41.5 against 54-57 µs for an otherwise empty route, best of 15 turns of 1,000 calls; a sync one ~115
µs, run in a thread), on routes that take ~110 µs in all. The lifespan stores it as the app's state `deps`:
the one place app state is written, and this the one where it is read (tests/unit/test_notifier_deps.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

from herald.contract.broker_link import LinkStatus
from herald.notifier.api_keys_file import ApiKeysFile
from herald.notifier.config import NotifierSettings
from herald.notifier.groups import GroupStore
from herald.notifier.idempotency import AnswerStore
from herald.notifier.publish_once import Publishes
from herald.notifier.rate_limits import RateLimits
from herald.notifier.webhooks import SourcesFile


class Broker(Publishes, Protocol):
    """What the routes ask of the broker: `broker_publisher.EventPublisher` fills it, a fake in unit tests."""

    @property
    def ready(self) -> bool: ...

    def link_status(self) -> LinkStatus: ...

    async def bind_member(self, group: str, user: str) -> None: ...

    async def unbind_member(self, group: str, user: str) -> None: ...


@dataclass(frozen=True, slots=True)
class NotifierDeps:
    settings: NotifierSettings
    keyring: ApiKeysFile
    webhook_sources: SourcesFile
    rate_limits: RateLimits
    answers: AnswerStore
    groups: GroupStore
    publisher: Broker


def notifier_deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.deps
    return deps
