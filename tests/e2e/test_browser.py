"""A person's view: log into the chat in a real browser, publish with the API, see the message appear."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.conftest import PASSWORDS, Keys
from tests.support.browser import chromium, log_in
from tests.support.processes import Service

pytestmark = pytest.mark.e2e

@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def test_a_logged_in_user_sees_an_event_appear(browser: Browser, notifier: Service, chat: Service,
                                                     keys: Keys) -> None:
    page = await browser.new_page()
    await log_in(page, chat.url, "bob", PASSWORDS["bob"])

    title = f"Build {uuid.uuid4().hex[:6]} failed"
    notice = f"Maintenance {uuid.uuid4().hex[:6]} at noon"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {keys.publisher}"}) as http:
        response = await http.post(f"{notifier.url}/v1/events", json={
            "target": {"user": "bob"}, "title": title, "severity": "error", "body": "See the **logs**."})
        assert response.status_code == 202, response.text
        await expect(page.get_by_text(title)).to_be_visible(timeout=10_000)
        # The body is rendered as markdown: the asterisks are gone, the text is there.
        await expect(page.get_by_text("See the logs.")).to_be_visible()
        await expect(page.get_by_text("**logs**")).to_have_count(0)

        # A live broadcast is one step sent to a socket.io room, not a message per session: same view.
        response = await http.post(f"{notifier.url}/v1/events", json={
            "target": {"broadcast": True}, "title": notice, "body": "Expect a short _outage_."})
        assert response.status_code == 202, response.text
        await expect(page.get_by_text(notice)).to_be_visible(timeout=10_000)
        await expect(page.get_by_text("Expect a short outage.")).to_be_visible()
