"""A REST event reaches the right user's live chats, through a real broker, notifier and chat."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from herald.contract.topology import user_routing_key
from tests.conftest import PASSWORDS, Keys
from tests.support import processes
from tests.support.broker_probe import sink
from tests.support.chat_client import login, open_tab
from tests.support.processes import Service
from tests.support.routing_drivers import tab_ready
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e


async def post_event(notifier: Service, key: str, event: dict[str, Any], **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=notifier.url) as http:
        return await http.post("/v1/events", json=event, headers={"Authorization": f"Bearer {key}", **headers})


def an_event(user: str, body: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"target": {"user": user}, "body": body or f"hello {user} {uuid.uuid4().hex[:8]}", **fields}


async def test_an_event_reaches_every_tab_of_its_user_and_nobody_else(
        notifier: Service, chat: Service, keys: Keys, amqp_url: str) -> None:
    alice_token = await login(chat.url, "alice", PASSWORDS["alice"])
    bob_token = await login(chat.url, "bob", PASSWORDS["bob"])
    alice_tabs = [await open_tab(chat.url, alice_token), await open_tab(chat.url, alice_token)]
    bob = await open_tab(chat.url, bob_token)
    for tab in (*alice_tabs, bob):
        await tab_ready(amqp_url, tab)
    try:
        event = an_event("alice", "**Deploy** finished", title="CI", severity="success")
        response = await post_event(notifier, keys.publisher, event)
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["status"] == "accepted"

        for tab in alice_tabs:
            await wait_until(lambda tab=tab: accepted["id"] in tab.event_ids(), what="alice's tab to show the event")
        with pytest.raises(AssertionError):  # bob never shows it: watch for 2 s
            await wait_until(lambda: accepted["id"] in bob.event_ids(), timeout=2)
        for tab in alice_tabs:
            [shown] = [step for number, step in tab.emitted
                       if (step.get("metadata") or {}).get("herald_event_id") == accepted["id"]]  # emitted once
            assert shown["type"] == "assistant_message"
            assert shown["metadata"]["severity"] == "success" and shown["metadata"]["title"] == "CI"
            assert "**Deploy** finished" in shown["output"]
            # The severity: a label in the heading, and an icon the frontend draws as an SVG (no emoji font).
            assert "**Success · CI**" in shown["output"] and shown["metadata"]["icon"] == "circle-check"
            assert shown["name"] == "tests"  # the author is the API key's name
    finally:
        for tab in (*alice_tabs, bob):
            await tab.disconnect()


async def test_an_event_for_a_user_never_seen_waits_for_them(notifier: Service, chat: Service, keys: Keys) -> None:
    response = await post_event(notifier, keys.publisher, an_event("carol", "while you were away"))
    assert response.status_code == 202, response.text

    carol = await open_tab(chat.url, await login(chat.url, "carol", PASSWORDS["carol"]))
    try:
        waiting = response.json()["id"]
        await wait_until(lambda: waiting in carol.event_ids(), what="carol's waiting event")
        [shown] = [step for step in carol.herald_events() if step["metadata"]["herald_event_id"] == waiting]
        assert "while you were away" in shown["output"]
    finally:
        await carol.disconnect()


async def test_a_repeated_event_id_or_idempotency_key_publishes_once(
        notifier: Service, chat: Service, keys: Keys, amqp_url: str) -> None:
    """Counted where it matters, at the broker: a sink queue beside dave's inbox takes a copy of every
    publish. A tab could not tell: it swallows an id it has shown, and a repeat published under a
    fresh id would look like another event."""
    dave = await open_tab(chat.url, await login(chat.url, "dave", PASSWORDS["dave"]))
    await tab_ready(amqp_url, dave)  # dave's inbox exists: the sink is not the only queue for his key
    try:
        async with sink(amqp_url, user_routing_key("dave")) as at_broker:
            event_id = f"evt-{uuid.uuid4().hex}"
            first = await post_event(notifier, keys.publisher, an_event("dave", id=event_id))
            again = await post_event(notifier, keys.publisher, an_event("dave", id=event_id))
            idem = uuid.uuid4().hex
            keyed = await post_event(notifier, keys.publisher, an_event("dave"), **{"Idempotency-Key": idem})
            keyed_again = await post_event(notifier, keys.publisher, an_event("dave"), **{"Idempotency-Key": idem})
            assert [r.status_code for r in (first, again, keyed, keyed_again)] == [202] * 4
            scoped = f"tests:{event_id}"  # the id given, scoped to the key that gave it
            assert again.json() == first.json() == {"id": scoped, "status": "accepted"}
            assert keyed_again.json() == keyed.json()

            # A marker published last: once it reached the broker and the tab, everything before it has.
            marker = (await post_event(notifier, keys.publisher, an_event("dave", "marker"))).json()["id"]

            async def marker_arrived() -> bool:
                return marker in await at_broker.take()

            await eventually(marker_arrived, what="the marker at the broker")
            await wait_until(lambda: marker in dave.event_ids(), what="the marker in the tab")
            ours = [scoped, keyed.json()["id"], marker]
            assert await at_broker.take() == ours
            assert [i for i in dave.emitted_ids() if i in ours] == ours
    finally:
        await dave.disconnect()


async def test_the_chat_also_delivers_under_chainlit_run(notifier: Service, keys: Keys, amqp_url: str,
                                                        users_file: Path, workdir: Path) -> None:
    """Herald ships its own launcher (uvloop, no nest_asyncio); an app started the usual Chainlit way
    gets its events all the same."""
    with processes.chat(amqp_url, users_file, workdir, name="chainlit-run", chainlit_run=True) as chat:
        tab = await open_tab(chat.url, await login(chat.url, "alice", PASSWORDS["alice"]))
        try:
            await tab_ready(amqp_url, tab)
            response = await post_event(notifier, keys.publisher, an_event("alice"))
            assert response.status_code == 202, response.text
            await wait_until(lambda: response.json()["id"] in tab.event_ids(), what="the event under chainlit run")
        finally:
            await tab.disconnect()
