"""The worker's POSTs to Herald's notifier: progress and results, to the session that asked.

Each event carries an id of its own (`job-<job>-<step>`), so a post retried after a lost answer, or a
job run again after the worker was stopped mid-way, shows each message once: the notifier answers a
repeated id with its first answer and publishes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger("long_job.worker")

RETRY_STATUSES = {409, 429, 503}  # in flight, rate-limited, broker not confirming: worth another try
MAX_BACKOFF_SECONDS = 10.0


class NotifierRefused(Exception):
    """The notifier refused the event for good (401, 403, 422, ...): retrying cannot help."""


class NotifierClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        # The key goes in a header only, never into a log line.
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10,
                                       headers={"Authorization": f"Bearer {api_key}"})

    async def post(self, event: dict[str, Any]) -> str:
        """Publish `event` and return its id once the notifier answers 202, retrying what may pass."""
        backoff = 0.2
        while True:
            try:
                response = await self._http.post("/v1/events", json=event)
            except httpx.TransportError as exc:
                log.warning("notifier unreachable (%s); retrying event %s", type(exc).__name__, event.get("id"))
            else:
                if response.status_code == 202:
                    return str(response.json()["id"])
                if response.status_code not in RETRY_STATUSES:
                    raise NotifierRefused(f"{response.status_code} for event {event.get('id')}: {response.text}")
                log.warning("notifier answered %s; retrying event %s", response.status_code, event.get("id"))
                backoff = max(backoff, _retry_after(response))
            await asyncio.sleep(backoff)  # a pause between tries, after the notifier's Retry-After
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def close(self) -> None:
        await self._http.aclose()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "0")), MAX_BACKOFF_SECONDS)
    except ValueError:
        return 0.0
