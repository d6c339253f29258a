"""Whether Herald's delivery is live in this process, for the embedding app and the health endpoints.

Live: the broker link is up and this replica consumes the queues of its connected tabs. While it is not,
the app serves as ever, and events wait in the broker (or, for a sender, get a 503 from the notifier)
until it is. One delivery runs per process, as Chainlit's socket.io server is one per process.
"""

from __future__ import annotations

from typing import Any, Protocol

from herald.contract.broker_link import LinkStatus


class Delivering(Protocol):
    @property
    def live(self) -> bool: ...

    def link_status(self) -> LinkStatus: ...

    async def wait_live(self) -> None: ...


_running: Delivering | None = None


def running_now(delivery: Delivering | None) -> None:
    global _running
    _running = delivery


def is_live() -> bool:
    """True while Herald delivers events in this process; False before its broker link is up, while it
    is down, and while Herald takes up its queues again after it returns."""
    return _running is not None and _running.live


async def wait_live() -> None:
    """Return once delivery is live (at once if it is); only while Herald's delivery runs."""
    if _running is None:
        raise RuntimeError("Herald's delivery is not running: attach() it, or enter running()")
    await _running.wait_live()


def status() -> dict[str, Any]:
    """What the health endpoints say about delivery: whether it runs and is live, and the broker link."""
    if _running is None:
        return {"delivery": "not running"}
    return {"delivery": "live" if _running.live else "waiting for the broker",
            "broker": _running.link_status().as_json()}
