"""Publishing a stream of events to one user at a steady rate, one request at a time (so the order the
notifier accepted them in is the order of the user's inbox), keeping what was sent and accepted."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class PacedPublisher:
    notifier_url: str
    key: str
    sent: int = 0
    accepted: list[str] = field(default_factory=list)  # event ids answered 202, in order

    async def run(self, user: str, per_second: float | None, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; as fast as the notifier answers when `per_second` is None."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=self.notifier_url, timeout=30) as http:
            while not stop.is_set():
                if per_second is not None:
                    due = started + self.sent / per_second
                    if (ahead := due - time.monotonic()) > 0:
                        await asyncio.sleep(ahead)  # the pace itself, not a wait for a condition
                self.sent += 1
                event = {"target": {"user": user}, "body": f"event {self.sent}"}
                response = await http.post("/v1/events", headers={"Authorization": f"Bearer {self.key}"}, json=event)
                while response.status_code == 429:  # over the key's rate limit: the same event again, later
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                    response = await http.post("/v1/events", headers={"Authorization": f"Bearer {self.key}"},
                                               json=event)
                if response.status_code == 202:
                    self.accepted.append(str(response.json()["id"]))
