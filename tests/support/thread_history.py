"""Reading a user's threads back as Chainlit's frontend does on a reload: the sidebar's list
(`POST /project/threads`) and the resume of one thread over the socket (read from the database)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.chat_client import ChatTab, login_by_header
from tests.support.processes import Service
from tests.support.routing_drivers import Tabs
from tests.support.waiting import wait_until


def step_metadata(step: dict[str, Any]) -> dict[str, Any]:
    value = step.get("metadata") or {}
    return json.loads(value) if isinstance(value, str) else dict(value)  # the SQL layer hands JSON back as text


def kept_events(thread: dict[str, Any]) -> list[str]:
    """The ids of the Herald events a thread keeps, in the order of its steps."""
    return [metadata["herald_event_id"] for metadata in map(step_metadata, thread["steps"])
            if "herald_event_id" in metadata]


async def start_thread(tab: ChatTab, text: str = "start a conversation") -> str:
    """The tab's user says something, so that Chainlit creates the tab's thread (on the first user
    message), and the app answers; the thread's id."""
    await tab.say(text)
    await wait_until(lambda: any("You said" in step.get("output", "") for step in tab.messages),
                     what="the app's reply")
    return str(tab.messages[0]["threadId"])


async def resume(tabs: Tabs, chat: Service, user: str, thread: str) -> dict[str, Any]:
    """A new tab on the thread's page (what a reload is to Chainlit): the thread Chainlit resumes in it."""
    tab = await tabs.open(chat, user, thread_id=thread)
    await wait_until(lambda: bool(tab.resumed), timeout=30, what=f"Chainlit to resume thread {thread}")
    await tab.disconnect()
    return tab.resumed[0]


async def user_threads(chat: Service, user: str) -> list[dict[str, Any]]:
    """The user's threads as the sidebar lists them (header login)."""
    token = await login_by_header(chat.url, user)
    async with httpx.AsyncClient(base_url=chat.url, cookies={"access_token": token}) as http:
        response = await http.post("/project/threads", json={"pagination": {"first": 20}, "filter": {}})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])
