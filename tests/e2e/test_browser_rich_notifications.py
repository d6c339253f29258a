"""A rich notification as a person sees it in a real Chromium: the severity icon (an SVG, no emoji
font) and label, the link, the image, the buttons; the Herald name and no LLM disclaimer; and a click
on the ack button marks the notification acknowledged."""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Route, expect

from tests.conftest import PASSWORDS, Keys
from tests.support import processes
from tests.support.browser import chromium, log_in
from tests.support.processes import Service

pytestmark = pytest.mark.e2e

IMAGE_HOST = "img.example"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG, served to the browser in place of the image host (Playwright answers the request)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


GRAPH = _png(320, 120, (70, 130, 180))
# Where the screenshot goes, to look at (HERALD_SCREENSHOT_DIR), else the test's temporary directory.
SCREENSHOT_DIR = os.environ.get("HERALD_SCREENSHOT_DIR")


@pytest.fixture(scope="module")
def rich_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    with processes.chat(amqp_url, users_file, workdir, name="rich-browser",
                        env={"HERALD_IMAGE_HOSTS": IMAGE_HOST}) as service:
        yield service


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def test_a_rich_notification_shows_and_its_ack_button_marks_it_acknowledged(
        browser: Browser, notifier: Service, rich_chat: Service, keys: Keys, tmp_path: Path) -> None:
    page = await browser.new_page(viewport={"width": 1000, "height": 900})
    fetched: list[str] = []

    async def image(route: Route) -> None:
        fetched.append(route.request.url)
        await route.fulfill(body=GRAPH, content_type="image/png")

    await page.route(f"https://{IMAGE_HOST}/**", image)
    await log_in(page, rich_chat.url, "carol", PASSWORDS["carol"])
    await expect(page).to_have_title("Herald")
    await expect(page.locator(".watermark")).to_have_text("")  # Chainlit's "LLMs can make mistakes" footer
    await expect(page.get_by_text("LLMs can make mistakes")).to_have_count(0)
    settings = await (await page.request.get(f"{rich_chat.url}/project/settings?language=en-US")).json()
    assert settings["features"]["unsafe_allow_html"] is False  # at runtime, as served to the frontend

    title = f"Deploy {uuid.uuid4().hex[:6]} failed"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {keys.publisher}"}) as http:
        response = await http.post(f"{notifier.url}/v1/events", json={
            "target": {"user": "carol"}, "title": title, "severity": "error", "body": "The canary is **down**.",
            "url": "https://ci.example/runs/4711", "image": f"https://{IMAGE_HOST}/graph.png",
            "actions": [{"type": "link", "label": "Logs", "url": "https://ci.example/logs"},
                        {"type": "ack", "label": "On it"}]})
        assert response.status_code == 202, response.text

    message = page.locator(".ai-message", has_text=title)
    await expect(message).to_be_visible(timeout=15_000)
    await expect(message.get_by_text(f"Error · {title}")).to_be_visible()  # the label
    await expect(message.locator("svg.lucide-octagon-x")).to_be_visible()  # the icon, an inline SVG
    await expect(message.locator("a", has_text=title)).to_have_attribute("href", "https://ci.example/runs/4711")
    await expect(message.locator("a", has_text="Logs")).to_have_attribute("href", "https://ci.example/logs")
    await expect(message.locator(f"img[src='https://{IMAGE_HOST}/graph.png']")).to_be_visible()
    assert fetched == [f"https://{IMAGE_HOST}/graph.png"]  # the browser loaded it
    button = page.get_by_role("button", name="On it")
    await expect(button).to_be_visible()
    await page.screenshot(path=str(Path(SCREENSHOT_DIR or tmp_path) / "rich-notification.png"))

    await button.click()
    await expect(message.get_by_text("Acknowledged by carol")).to_be_visible(timeout=10_000)
    await expect(button).to_have_count(0)
    await page.screenshot(path=str(Path(SCREENSHOT_DIR or tmp_path) / "rich-notification-acknowledged.png"))
