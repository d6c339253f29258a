"""Herald behind nginx on one port (deploy/nginx/herald.conf.template): the chat at /chat/ on two
replicas, the notifier at /notify/. A real Chromium logs in through the proxy, is shown events sent
through it, finds them again after a reload, and keeps receiving when the replica its tab is on is
killed (docs/deploy.md)."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import PASSWORDS, Keys
from tests.support import processes
from tests.support.browser import chromium, log_in
from tests.support.nginx import Proxy, herald_proxy
from tests.support.problems import assert_problem
from tests.support.processes import Service
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

USER = "carol"
WEBSOCKET = "GET /chat/ws/socket.io/?EIO=4&transport=websocket"


@dataclass
class Deployment:
    proxy: Proxy
    replicas: dict[str, Service]  # by "127.0.0.1:port", as nginx names its upstreams
    notifier: Service


def _address(service: Service) -> str:
    return service.url.removeprefix("http://")


@pytest.fixture(scope="module")
def deployment(amqp_url: str, users_file: Path, keys: Keys, workdir: Path) -> Iterator[Deployment]:
    history = workdir / "proxy-history.sqlite3"  # both replicas' history; Herald makes its tables
    chat_env = {"CHAINLIT_ROOT_PATH": "/chat", "HERALD_DATA_LAYER_URL": f"sqlite+aiosqlite:///{history}"}
    with ExitStack() as stack:
        replicas = [stack.enter_context(processes.chat(amqp_url, users_file, workdir, name=f"proxied-{name}",
                                                       env=chat_env)) for name in "ab"]
        notifier = stack.enter_context(processes.notifier(amqp_url, keys.file, workdir,
                                                          args=["--root-path", "/notify"]))
        proxy = stack.enter_context(herald_proxy([_address(replica) for replica in replicas], _address(notifier)))
        yield Deployment(proxy, {_address(replica): replica for replica in replicas}, notifier)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def send(deployment: Deployment, keys: Keys, title: str, **fields: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=deployment.proxy.url,
                                 headers={"Authorization": f"Bearer {keys.publisher}"}) as http:
        return await http.post("/notify/v1/events", json={"target": {"user": USER}, "title": title,
                                                          "body": "Sent through nginx.", **fields})


def upstreams(proxy: Proxy, request: str, status: int | None = None) -> list[str]:
    """The replicas that answered the requests starting with `request` (with `status`), in order."""
    return [upstream for answer, line, upstream in proxy.served()
            if line.startswith(request) and status in (None, answer)]


async def click_an_ack(page: Page, deployment: Deployment, keys: Keys) -> None:
    """The click is Chainlit's `POST /chat/project/action`, which names the tab's session: it must reach
    the replica that holds the tab's socket, while both replicas are up."""
    title = f"Canary {uuid.uuid4().hex[:6]} down"
    response = await send(deployment, keys, title, severity="error", actions=[{"type": "ack", "label": "On it"}])
    assert response.status_code == 202, response.text
    message = page.locator(".ai-message", has_text=title)
    await expect(message).to_be_visible(timeout=15_000)
    await message.get_by_role("button", name="On it").click()
    await expect(message.get_by_text(f"Acknowledged by {USER}")).to_be_visible(timeout=15_000)
    clicks = upstreams(deployment.proxy, "POST /chat/project/action", status=200)
    assert clicks == upstreams(deployment.proxy, "POST /chat/set-session-cookie")[-1:], clicks


async def test_a_browser_through_nginx_logs_in_is_shown_events_and_survives_its_replica_dying(
        deployment: Deployment, browser: Browser, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    proxy = deployment.proxy
    context = await browser.new_context()
    page = await context.new_page()
    await log_in(page, f"{proxy.url}/chat/", USER, PASSWORDS[USER], timeout_ms=30_000)
    login = [cookie for cookie in await context.cookies() if cookie["name"] == "access_token"]
    assert [cookie["path"] for cookie in login] == ["/chat/"], login

    await page.get_by_role("textbox").last.fill("hello through the proxy")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("You said: hello through the proxy")).to_be_visible(timeout=15_000)

    first = f"Deploy {uuid.uuid4().hex[:6]} finished"
    response = await send(deployment, keys, first, severity="success")
    assert response.status_code == 202, response.text
    await expect(page.get_by_text(first)).to_be_visible(timeout=15_000)

    await click_an_ack(page, deployment, keys)

    # A reload opens a new conversation; the earlier one is in the history, under the prefix too.
    await page.reload()
    await page.get_by_role("link", name="hello through the proxy").click()
    await expect(page).to_have_url(re.compile(r"/chat/thread/[0-9a-f-]+$"))
    await expect(page.get_by_text(first)).to_be_visible(timeout=15_000)

    # The page asks for its sticky cookie just before it opens its socket, which is logged only once it
    # closes: the one the first page had (closed by the reload) went where the page's requests went.
    tab_replica = upstreams(proxy, "POST /chat/set-session-cookie")[-1]
    assert set(upstreams(proxy, "GET /chat/ws/socket.io/")) == {tab_replica}
    assert upstreams(proxy, WEBSOCKET, status=101)  # not only polling: the upgrade went through
    doomed = deployment.replicas[tab_replica]
    os.killpg(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait()
    killed_at = time.monotonic()
    between = [f"Sent after the crash {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    for title in between:
        response = await send(deployment, keys, title)
        assert response.status_code == 202, response.text
    for title in between:
        await expect(page.get_by_text(title)).to_be_visible(timeout=60_000)
    recovered = time.monotonic() - killed_at
    for title in [first, *between]:
        await expect(page.get_by_text(title)).to_have_count(1)  # none shown twice by the reconnect
    await context.close()
    (survivor,) = set(deployment.replicas) - {tab_replica}
    # nginx logs a websocket once both ends have closed it.
    await wait_until(lambda: survivor in upstreams(proxy, WEBSOCKET, status=101), timeout=30,
                     what="nginx to log the tab's websocket to the other replica")
    with capsys.disabled():
        print(f"\nnginx answered {proxy.startup_seconds:.2f} s after its start; the events sent after the "
              f"kill were all shown {recovered:.1f} s after it")


async def test_the_notifier_under_its_prefix_answers_for_itself(deployment: Deployment, keys: Keys) -> None:
    async with httpx.AsyncClient(base_url=deployment.proxy.url) as http:
        spec = (await http.get("/notify/openapi.json")).json()
        assert spec["servers"] == [{"url": "/notify"}]
        docs = await http.get("/notify/docs")
        assert "/notify/openapi.json" in docs.text

        unauthenticated = await http.post("/notify/v1/events", json={})
        assert_problem(unauthenticated, 401)
        # Larger than the notifier's limit, smaller than nginx's: the notifier's own 413, not nginx's page.
        oversized = await http.post("/notify/v1/events", content=b"x" * (1024 * 1024),
                                    headers={"Authorization": f"Bearer {keys.publisher}",
                                             "Content-Type": "application/json"})
        assert_problem(oversized, 413)


async def test_the_chat_page_and_its_assets_are_served_under_the_prefix(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.proxy.url) as http:
        bare = await http.get("/chat")
        assert bare.status_code == 301 and bare.headers["location"] == "/chat/"
        page = await http.get("/chat/")
        assert '<meta property="og:root_path" content="/chat">' in page.text
        assets = [part.split('"', 1)[0] for part in page.text.split('src="')[1:]]
        assert assets and all(asset.startswith("/chat/") for asset in assets), assets
        for asset in assets:
            served = await http.get(asset)
            # The page itself answers every unknown path: the script must be the script.
            assert served.status_code == 200 and "javascript" in served.headers["content-type"], asset
        # The socket under the prefix: an engine.io handshake (the packet type "0" and the session).
        handshake = await http.get("/chat/ws/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert handshake.status_code == 200 and handshake.text.startswith('0{"sid":'), handshake.text


@pytest.fixture(scope="module")
def header_login_behind_proxy(amqp_url: str, users_file: Path, workdir: Path,
                              deployment: Deployment) -> Iterator[tuple[Service, Proxy]]:
    """A chat in header login mode, which trusts X-Forwarded-User, behind the same config."""
    env = {"CHAINLIT_ROOT_PATH": "/chat", "HERALD_AUTH_MODE": "header"}
    with processes.chat(amqp_url, users_file, workdir, name="proxied-header", env=env) as chat, \
            herald_proxy([_address(chat)], _address(deployment.notifier)) as proxy:
        yield chat, proxy


async def test_a_clients_own_user_header_is_not_passed_on(
        header_login_behind_proxy: tuple[Service, Proxy]) -> None:
    chat, proxy = header_login_behind_proxy
    forged = {"X-Forwarded-User": USER}
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{chat.url}/chat/auth/header", headers=forged)).status_code == 200  # it would
        through_proxy = await http.post(f"{proxy.url}/chat/auth/header", headers=forged)
        assert through_proxy.status_code == 401, through_proxy.text
        assert "access_token" not in through_proxy.cookies
