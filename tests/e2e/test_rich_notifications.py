"""Rich notifications through the real notifier, broker and two chat replicas, seen by socket.io tabs:
a link, an image element and buttons; a toast; and the ack round trip (the click on the bus, the
acknowledged state in the user's tab on the other replica, nothing for anyone else)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractQueue

from herald.chat.ack_signature import ack_key, signed_payload
from herald.chat.acknowledgements import NOT_RECORDED
from herald.chat.notification_view import ACK_ACTION, escape
from herald.contract.topology import ACKS_EXCHANGE, EVERY_ACK_KEY
from scripts.rabbitmq_node import free_port
from tests.conftest import Keys
from tests.support import processes
from tests.support.chat_client import ChatTab, login_by_header, open_tab
from tests.support.problems import assert_problem
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

IMAGE_HOST = "img.example"
RICH = {
    "title": "Deploy 4711 failed",
    "severity": "error",
    "url": "https://ci.example/runs/4711",
    "image": f"https://{IMAGE_HOST}/graph.png",
    "actions": [{"type": "link", "label": "Logs", "url": "https://ci.example/runs/4711/logs"},
                {"type": "ack", "label": "On it"}],
}


@pytest.fixture(scope="module")
def rich_replicas(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[tuple[Service, Service]]:
    env = {"HERALD_AUTH_MODE": "header", "HERALD_IMAGE_HOSTS": IMAGE_HOST}
    with processes.chat(amqp_url, users_file, workdir, name="rich-a", env=env) as first, \
            processes.chat(amqp_url, users_file, workdir, name="rich-b", env=env) as second:
        yield first, second


@pytest.fixture
async def acks_on_the_bus(amqp_url: str) -> AsyncIterator[AbstractQueue]:
    """A queue of the test's own bound to the acknowledgements, as an outside system would bind one."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"test.acks.{uuid.uuid4().hex}", exclusive=True)
        await queue.bind(ACKS_EXCHANGE, routing_key=EVERY_ACK_KEY)
        yield queue


async def _acks(queue: AbstractQueue) -> list[dict[str, Any]]:
    taken = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        taken.append({"routing_key": message.routing_key, "persistent": message.delivery_mode == 2,
                      **json.loads(message.body)})
    return taken


def _buttons(tab: ChatTab) -> set[str]:
    """The ids of the action buttons the tab shows now, as the frontend keeps them."""
    shown: set[str] = set()
    for name, payload in tab.extras:
        if name == "action":
            shown.add(payload["id"])
        elif name == "remove_action":
            shown.discard(payload["id"])
    return shown


def _updates(tab: ChatTab) -> list[dict[str, Any]]:
    """Herald's updates of messages (Chainlit updates its own run steps too)."""
    return [update for update in tab.emitted_as("update_message")
            if "herald_event_id" in (update.get("metadata") or {})]


def _shown(tab: ChatTab, event_id: str) -> dict[str, Any]:
    [step] = [step for step in tab.herald_events() if step["metadata"]["herald_event_id"] == event_id]
    return step


@pytest.mark.parametrize(("fields", "field"), [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"image": "http://img.example/a.png"}, "image"),
    ({"actions": [{"type": "ack", "label": "x"}] * 6}, "actions"),
    ({"actions": [{"type": "link", "label": "x", "url": "ftp://a.example"}]}, "actions.0.link.url"),
    ({"display": "toast", "actions": [{"type": "ack", "label": "x"}]}, "display"),
])
async def test_a_bad_rich_field_is_a_422_problem_naming_it(notifier: Service, keys: Keys, fields: dict[str, Any],
                                                           field: str) -> None:
    async with httpx.AsyncClient(base_url=notifier.url, headers={"Authorization": f"Bearer {keys.publisher}"}) as http:
        response = await http.post("/v1/events", json={"target": {"user": "nobody"}, "body": "x", **fields})
    problem = assert_problem(response, 422, f"{field}:")
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_a_rich_event_arrives_with_its_link_image_and_buttons_and_a_toast_as_a_toast(
        rich_replicas: tuple[Service, Service], tabs: Tabs, publisher: Publisher) -> None:
    user = fresh_user("rich")
    tab = await tabs.open(rich_replicas[0], user)
    event_id = await publisher.send({"user": user}, "The **canary** is down.", **RICH)
    await wait_until(lambda: event_id in tab.shown_ids(), what="the rich event")
    step = _shown(tab, event_id)
    assert step["output"].startswith("**Error · [Deploy 4711 failed](https://ci.example/runs/4711)**")
    assert "[Logs](https://ci.example/runs/4711/logs)" in step["output"]
    assert step["metadata"]["icon"] == "octagon-x"  # drawn as an SVG by the frontend
    await wait_until(lambda: tab.emitted_as("action"), what="the ack button")
    [image] = tab.emitted_as("element")
    assert (image["type"], image["url"], image["forId"], image["display"]) == (
        "image", RICH["image"], step["id"], "inline")
    [button] = tab.emitted_as("action")
    assert _buttons(tab) == {button["id"]}
    assert (button["name"], button["label"], button["forId"]) == ("herald_ack", "On it", step["id"])

    toast_id = await publisher.send({"user": user}, "Backup   finished\nin 3 min", title="Backup", display="toast",
                                    severity="success")
    await settled(publisher, user, tab)  # everything sent before the marker has arrived
    assert {"message": "Backup: Backup finished in 3 min", "type": "success"} in tab.emitted_as("toast")
    assert toast_id not in tab.emitted_ids()  # a toast, not a message


async def test_an_ack_is_published_and_shown_in_the_users_other_tab_on_another_replica_only(
        rich_replicas: tuple[Service, Service], tabs: Tabs, publisher: Publisher,
        acks_on_the_bus: AbstractQueue) -> None:
    user, other = fresh_user("acker"), fresh_user("bystander")
    clicking = await tabs.open(rich_replicas[0], user)
    elsewhere = await tabs.open(rich_replicas[1], user)
    bystander = await tabs.open(rich_replicas[0], other)
    event_id = await publisher.send({"user": user}, "Disk 91% full", **RICH)
    bystanders_id = await publisher.send({"user": other}, "Yours", **RICH)
    for tab, shown in ((clicking, event_id), (elsewhere, event_id), (bystander, bystanders_id)):
        await wait_until(lambda tab=tab, shown=shown: shown in tab.shown_ids() and tab.emitted_as("action"),
                         what="the event and its button")
    [button] = clicking.emitted_as("action")

    # Someone else's button, clicked in the bystander's own tab, is refused: nothing published or shown.
    refused = await bystander.click(button)
    assert refused.json()["response"] == "refused"
    forged = {**bystander.emitted_as("action")[0], "payload": {**button["payload"], "for": other}}
    assert (await bystander.click(forged)).json()["response"] == "refused"

    clicked_at = datetime.now(UTC)
    answer = await clicking.click(button)
    assert answer.status_code == 200 and answer.json()["response"] == "acknowledged", answer.text

    await wait_until(lambda: _updates(elsewhere), what="the other tab to show the ack")
    [ack] = await _acks(acks_on_the_bus)  # one acknowledgement only: the refused clicks published nothing
    assert ack["routing_key"] == f"ack.{user}" and ack["persistent"]
    assert (ack["event_id"], ack["user"], ack["session"], ack["label"]) == (
        event_id, user, clicking.session_id, "On it")
    assert abs(datetime.fromisoformat(ack["at"]) - clicked_at) < timedelta(seconds=30)

    for tab in (clicking, elsewhere):
        await wait_until(lambda tab=tab: _updates(tab), what="the update in each of the user's tabs")
        [update] = _updates(tab)
        step = _shown(tab, event_id)
        assert update["id"] == step["id"]  # the same message, updated in place
        assert f"Acknowledged by {escape(user)}" in step["output"]  # the id's punctuation escaped
        assert step["metadata"]["herald_acknowledged"]["by"] == user
        assert _buttons(tab) == set()  # the ack button is gone
    await settled(publisher, other, bystander)
    assert _updates(bystander) == []


async def test_an_ack_of_a_live_broadcast_is_shown_to_the_clicking_user_only(
        rich_replicas: tuple[Service, Service], tabs: Tabs, publisher: Publisher,
        acks_on_the_bus: AbstractQueue) -> None:
    user, other = fresh_user("reader"), fresh_user("another-reader")
    mine, also_mine = await tabs.open(rich_replicas[0], user), await tabs.open(rich_replicas[1], user)
    theirs = await tabs.open(rich_replicas[1], other)
    event_id = await publisher.send({"broadcast": True}, "Maintenance at noon",
                                    actions=[{"type": "ack", "label": "Noted"}])
    for tab in (mine, also_mine, theirs):
        await wait_until(lambda tab=tab: event_id in tab.shown_ids() and _buttons(tab), what="the broadcast's button")
    [button] = [action for action in mine.emitted_as("action") if action["forId"] == _shown(mine, event_id)["id"]]

    answer = await mine.click(button)  # a live broadcast is everyone's: its button is signed for any user
    assert answer.json()["response"] == "acknowledged", answer.text
    for tab in (mine, also_mine):
        await wait_until(lambda tab=tab: _updates(tab), what="the ack in each of the clicking user's tabs")
        assert _shown(tab, event_id)["metadata"]["herald_acknowledged"]["by"] == user
    [ack] = await _acks(acks_on_the_bus)
    assert (ack["event_id"], ack["user"], ack["routing_key"]) == (event_id, user, f"ack.{user}")
    await settled(publisher, other, theirs)
    assert _updates(theirs) == [] and _buttons(theirs)  # the other reader still has the button


async def test_an_ack_while_the_broker_is_away_says_so_in_the_tab_and_publishes_nothing(
        users_file: Path, workdir: Path) -> None:
    nowhere = f"amqp://guest:guest@127.0.0.1:{free_port()}/"  # no broker ever answers there
    with processes.chat(nowhere, users_file, workdir, name="rich-no-broker", env={"HERALD_AUTH_MODE": "header"},
                        ready_path="/auth/config") as chat:
        user = fresh_user("offline")
        tab = await open_tab(chat.url, await login_by_header(chat.url, user))
        try:
            # A button as the chat would have made it (signed with the replicas' shared secret).
            payload = signed_payload(ack_key(processes.AUTH_SECRET), "tests:evt-1", user, "Seen")
            action = {"name": ACK_ACTION, "payload": payload, "label": "Seen", "tooltip": "", "icon": None,
                      "forId": str(uuid.uuid4()), "id": str(uuid.uuid4())}
            answer = await tab.click(action)
            assert answer.status_code == 200 and answer.json()["response"] == "failed", answer.text
            await wait_until(lambda: tab.emitted_as("toast"), what="the tab to be told")
            assert tab.emitted_as("toast") == [{"message": NOT_RECORDED, "type": "error"}]
        finally:
            await tab.disconnect()
