"""A person's view of history: a notification that arrives before they typed anything is still on the page
after they reload it, in a real Chromium, with the demo chat's default SQLite history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from herald.chat.config import DEMO_HISTORY_URL
from tests.conftest import PASSWORDS, Keys
from tests.support import processes
from tests.support.browser import chromium, log_in
from tests.support.processes import Service

pytestmark = pytest.mark.e2e


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def browser_history_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    with processes.chat(amqp_url, users_file, workdir, name="browser-history",
                        env={"HERALD_DATA_LAYER_URL": DEMO_HISTORY_URL}) as service:
        yield service


async def test_a_notification_before_any_message_is_still_there_after_a_reload(
        browser: Browser, notifier: Service, browser_history_chat: Service, keys: Keys) -> None:
    page = await browser.new_page()
    await log_in(page, browser_history_chat.url, "carol", PASSWORDS["carol"])

    title = f"Report {uuid.uuid4().hex[:6]} is ready"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {keys.publisher}"}) as http:
        response = await http.post(f"{notifier.url}/v1/events", json={
            "target": {"user": "carol"}, "title": title, "body": "Download it from the **reports** page."})
    assert response.status_code == 202, response.text
    await expect(page.get_by_text(title)).to_be_visible(timeout=10_000)
    # Herald started the thread: the page is the thread's own, which a reload resumes.
    await page.wait_for_url("**/thread/*", timeout=10_000)

    await page.reload()
    await expect(page.get_by_text(title)).to_be_visible(timeout=15_000)
    await expect(page.get_by_text("Download it from the reports page.")).to_be_visible()
