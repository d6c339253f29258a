"""A tab's event is acknowledged only once it was emitted: while rendering fails it stays in the tab's
queue and is tried again, and the tab shows it, once, when rendering works again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import processes
from tests.support.routing_drivers import Publisher, Tabs, fresh_user, settled
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

FAILING_APP = Path(__file__).resolve().parents[1] / "support" / "apps" / "failing_renders.py"


@pytest.fixture
async def tabs(amqp_url: str) -> AsyncIterator[Tabs]:
    opened = Tabs(amqp_url)
    yield opened
    await opened.close()


async def test_an_event_whose_render_fails_stays_queued_and_is_shown_once_rendering_works(
        amqp_url: str, users_file: Path, workdir: Path, tmp_path: Path, tabs: Tabs, publisher: Publisher) -> None:
    failing = tmp_path / "renders-fail"
    settings = {"HERALD_AUTH_MODE": "header", "HERALD_RENDER_ATTEMPTS": "100",
                "HERALD_TEST_FAIL_RENDERS": str(failing)}
    with processes.chat(amqp_url, users_file, workdir, name="failing-renders", env=settings,
                        app=FAILING_APP) as chat:
        user = fresh_user("unrendered")
        tab = await tabs.open(chat, user)
        failing.touch()
        event = await publisher.send({"user": user, "session": tab.session_id}, "rendered at the second try")
        await wait_until(lambda: f"rendering event {event} in session {tab.session_id} failed" in chat.output(),
                         what="a render of the event to fail")
        failing.unlink()
        await wait_until(lambda: event in tab.event_ids(), timeout=15, what="the event once rendering works")
        await settled(publisher, user, tab)
        assert tab.emitted_ids() == [event]
