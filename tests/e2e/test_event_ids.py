"""Event ids are scoped per API key: the same client-given id from two keys is two events, both shown."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import PASSWORDS, Keys
from tests.support.chat_client import login, open_tab
from tests.support.processes import Service
from tests.support.routing_drivers import tab_ready
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_the_same_id_from_two_keys_reaches_the_tab_as_two_events(
        notifier: Service, chat: Service, keys: Keys, amqp_url: str) -> None:
    tab = await open_tab(chat.url, await login(chat.url, "bob", PASSWORDS["bob"]))
    await tab_ready(amqp_url, tab)
    given = f"deploy-{uuid.uuid4().hex[:8]}"
    try:
        async with httpx.AsyncClient(base_url=notifier.url) as http:
            answers = [await http.post("/v1/events", headers={"Authorization": f"Bearer {key}"},
                                       json={"id": given, "target": {"user": "bob"}, "body": f"from {name}"})
                       for key, name in ((keys.publisher, "tests"), (keys.groups, "admin"))]
        assert [answer.status_code for answer in answers] == [202, 202], [answer.text for answer in answers]
        ids = [answer.json()["id"] for answer in answers]
        assert ids == [f"tests:{given}", f"admin:{given}"]  # neither key claimed the other's id

        await wait_until(lambda: set(ids) <= set(tab.event_ids()), what="both events in bob's tab")
        shown = {step["metadata"]["herald_event_id"]: step for step in tab.herald_events()}
        assert [shown[event_id]["name"] for event_id in ids] == ["tests", "admin"]  # each under its key's name
        assert "from tests" in shown[ids[0]]["output"] and "from admin" in shown[ids[1]]["output"]
        assert tab.event_ids().count(ids[0]) == tab.event_ids().count(ids[1]) == 1
    finally:
        await tab.disconnect()
