"""A real Chromium (Debian's, driven by Playwright, which cannot download its own browsers here)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Page, async_playwright, expect

# Without these, Chromium tries to reach Google's hosts on this closed network at every start.
QUIET_CHROMIUM = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "the browser tests need Chromium: apt-get install chromium (./herald test does)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=QUIET_CHROMIUM)
        yield browser
        await browser.close()


async def log_in(page: Page, url: str, user: str, password: str, timeout_ms: int = 15_000) -> None:
    """Open the demo chat at `url` and log in with its password form, as a user would; done once the
    demo's greeting shows."""
    await page.goto(url)
    await page.get_by_label("Email address").or_(page.locator("input[type=text]")).first.fill(user)
    await page.locator("input[type=password]").fill(password)
    await page.locator("button[type=submit]").click()
    await expect(page.get_by_text("Notifications for you will appear here")).to_be_visible(timeout=timeout_ms)
