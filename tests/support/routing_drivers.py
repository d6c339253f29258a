"""Tabs and publishing as a routing test drives them: fresh users, ready tabs, 202-checked events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from herald.contract.topology import session_queue_name
from tests.conftest import Keys
from tests.support.broker_probe import consumer_count
from tests.support.chat_client import ChatTab, login_by_header, open_tab
from tests.support.processes import Service
from tests.support.waiting import eventually, wait_until


async def tab_ready(amqp_url: str, tab: ChatTab, timeout: float = 10) -> None:  # noqa: ASYNC109
    """Wait until Herald consumes the tab's queue: from then on, the tab receives its events."""

    async def consumed() -> bool:
        return await consumer_count(amqp_url, session_queue_name(tab.session_id)) == 1

    await eventually(consumed, timeout=timeout, what=f"Herald to take up session {tab.session_id}")


def fresh_user(name: str) -> str:
    """A user no other test has touched, so nothing else waits in their inbox."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


@dataclass
class Tabs:
    """Every tab a test opens, closed at the end whatever happens."""

    amqp_url: str
    opened: list[ChatTab] = field(default_factory=list)

    async def open(self, replica: Service, user: str, thread_id: str = "") -> ChatTab:
        tab = await open_tab(replica.url, await login_by_header(replica.url, user), thread_id=thread_id)
        self.opened.append(tab)
        await self.ready(tab)
        return tab

    async def ready(self, tab: ChatTab, timeout: float = 10) -> None:  # noqa: ASYNC109
        await tab_ready(self.amqp_url, tab, timeout)

    async def close(self) -> None:
        for tab in self.opened:
            if tab.client.connected:
                await tab.disconnect()


@dataclass
class Publisher:
    notifier: Service
    keys: Keys

    async def send(self, target: dict[str, Any], body: str | None = None, **fields: Any) -> str:
        """Publish and return the event id; fails the test unless the notifier answers 202."""
        event = {"target": target, "body": body or f"event {uuid.uuid4().hex[:8]}", **fields}
        async with httpx.AsyncClient(base_url=self.notifier.url) as http:
            response = await http.post("/v1/events", json=event,
                                       headers={"Authorization": f"Bearer {self.keys.groups}"})
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def group(self, method: str, group: str, user: str = "") -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.notifier.url) as http:
            path = f"/v1/groups/{group}/members" + (f"/{user}" if user else "")
            return await http.request(method, path, headers={"Authorization": f"Bearer {self.keys.groups}"})


async def settled(publisher: Publisher, user: str, *tabs: ChatTab) -> None:
    """Publish a marker to `user` and wait until each tab shows it: everything sent before has arrived.
    Markers are left out of the tabs' event ids, so tests compare only what they sent."""
    marker = await publisher.send({"user": user}, "marker")
    for tab in tabs:
        await wait_until(lambda tab=tab: marker in tab.shown_ids(), what=f"the marker in {tab.session_id}")
        tab.ignored.add(marker)
