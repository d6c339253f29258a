"""Hostile markdown sent through the real notifier, seen in a real browser: no script runs, and no link
or image it injects is live (Chromium via Playwright, as tests/e2e/test_browser.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect

from tests.conftest import PASSWORDS, Keys
from tests.support.browser import chromium, log_in
from tests.support.processes import Service
from tests.support.webhook_senders import DAVE_ON_GITHUB, WebhookSources, fixture_payload, github_headers

pytestmark = pytest.mark.e2e

PWN = "window.__pwned = (window.__pwned || 0) + 1"
# An issue title anyone can set on a public repository; the GitHub template puts it in title and body.
ISSUE_TITLE = (f"[click me](javascript:{PWN}) ![t](https://evil.example/title.png) "
               f"<img src=x onerror=\"{PWN}\"> [rel](/logout)")
# An API client's body is markdown by contract, so only the chat side stands between it and the browser.
# (A bare https URL in it stays a link, as the client wrote it: the chat limits schemes, not hosts.)
REST_BODY = "\n".join([
    f"[js](javascript:{PWN}) [JS](JaVaScRiPt:{PWN}) [ent](jav&#97;script:{PWN}) [data](data:text/html,hi)",
    "[vb](vbscript:msgbox) [rel](/logout) [proto](//evil.example/p) <javascript:alert(1)> xmpp:evil@example.com",
    "![pixel](https://evil.example/pixel.png) ![alt][pic] [ref][bad]",
    f"<img src=x onerror=\"{PWN}\"><script>{PWN}</script><a href=\"javascript:{PWN}\">html</a>",
    f":a[directive]{{href=\"javascript:{PWN}\"}} :img{{src=//evil.example/directive.png}}",
    "::iframe{src=//evil.example/frame}",
    "[fine](https://ok.example/docs) and <https://ok.example/auto>",
    "",
    "[pic]: /ref.png",
    f"[bad]: javascript:{PWN}",
])


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def logged_in(browser: Browser, chat: Service, user: str) -> Page:
    page = await browser.new_page()
    await log_in(page, chat.url, user, PASSWORDS[user])
    return page


async def test_hostile_markdown_shows_as_text_with_no_script_link_or_image(
        browser: Browser, notifier: Service, chat: Service, keys: Keys, webhook_sources: WebhookSources) -> None:
    page = await logged_in(browser, chat, "dave")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    fetched: list[str] = []

    def note(request: Request) -> None:
        if "evil.example" in request.url or request.url.endswith("/x"):
            fetched.append(request.url)

    page.on("request", note)

    marker = uuid.uuid4().hex[:8]
    issue = fixture_payload("github/issues_opened.json")
    issue["issue"]["title"] = f"{ISSUE_TITLE} {marker}"
    issue["issue"]["user"]["login"] = DAVE_ON_GITHUB  # the source maps dave-gh to dave
    body = json.dumps(issue).encode()
    async with httpx.AsyncClient(base_url=notifier.url) as http:
        webhook = await http.post("/v1/webhooks/github", content=body,
                                  headers=github_headers(webhook_sources.github_new, body, event="issues"))
        assert webhook.status_code == 202, webhook.text
        rest = await http.post("/v1/events", headers={"Authorization": f"Bearer {keys.publisher}"}, json={
            "target": {"user": "dave"}, "title": f"REST {marker} [t](javascript:{PWN})", "body": REST_BODY})
        assert rest.status_code == 202, rest.text

    # Both shown, as text: the injected link's words are there, without a link.
    await expect(page.get_by_text("https://ok.example/auto")).to_be_visible(timeout=15_000)
    await expect(page.get_by_text(f"REST {marker}")).to_be_visible()
    await expect(page.get_by_text(marker).first).to_be_visible()
    await expect(page.locator("a", has_text="fine")).to_have_attribute("href", "https://ok.example/docs")

    hrefs: list[str] = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert [h for h in hrefs if not h.startswith(("http:", "https:", "mailto:"))] == []
    assert [h for h in hrefs if "evil.example" in h or h.endswith("/logout")] == []
    sources: list[str] = await page.eval_on_selector_all("img", "images => images.map(i => i.src)")
    assert [s for s in sources if "evil.example" in s or s.endswith("/x")] == []
    assert await page.locator("script", has_text="__pwned").count() == 0
    assert await page.evaluate("window.__pwned") is None
    assert dialogs == [] and fetched == []
    # The template escaped the issue title, so it reads as the sender wrote it, markdown and all.
    await expect(page.get_by_text("[click me](javascript:").first).to_be_visible()
    await expect(page.get_by_text("![t](https:").first).to_be_visible()  # its URL is no link (checked above)
    await page.close()
