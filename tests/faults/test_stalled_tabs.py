"""A 202 means shown, to the right person, for tabs that stall and die: real notifier and chat
processes, a real broker, real socket.io clients, one of them a process of its own that the test
freezes (SIGSTOP: it reads nothing and answers no ping) and kills (SIGKILL).

Each test prints its figures (tests/support/fault_figures.py) and holds: nothing lost, nothing shown
twice in a page, and a page in publish order where docs/architecture.md promises it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from herald.contract.topology import session_queue_name
from tests.faults.conftest import RECONNECT_GRACE_SECONDS, tab_process
from tests.support.broker_probe import consumer_count
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.fault_figures import Figures, figures, page
from tests.support.paced_publisher import PacedPublisher
from tests.support.processes import Service
from tests.support.routing_drivers import fresh_user, tab_ready
from tests.support.tab_process import is_ready, shown_by
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.faults

PER_SECOND = 100


def pairs(tab: ChatTab) -> list[tuple[str, str]]:
    return [(step["id"], step["metadata"]["herald_event_id"]) for step in tab.herald_events()]


async def queue_consumed(amqp_url: str, session_id: str, consumers: int) -> None:
    async def counted() -> bool:
        return await consumer_count(amqp_url, session_queue_name(session_id)) == consumers

    await eventually(counted, what=f"session {session_id}'s queue to have {consumers} consumer(s)")


async def until_shown(accepted: list[str], page_of: Callable[[], list[list[str]]],
                      timeout: float = 30) -> None:  # noqa: ASYNC109
    """Wait until every accepted event is shown in one of the pages; a timeout is not an error here:
    the figures say what was lost, and the test's assertions fail on them."""
    with contextlib.suppress(AssertionError):
        await wait_until(lambda: set(accepted) <= set().union(*map(set, page_of())),
                         timeout=timeout, what="every accepted event to be shown")


def report(capsys: pytest.CaptureFixture[str], measured: Figures) -> Figures:
    with capsys.disabled():
        print("\n" + measured.line())
    return measured


async def start_paced(pacer: PacedPublisher, user: str,
                      per_second: float | None) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(pacer.run(user, per_second, stop))


async def test_a_tab_frozen_for_5_s_then_killed_and_back_under_its_session_loses_nothing(
        fault_chat: Service, pacer: PacedPublisher, amqp_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    user, session_id, out = fresh_user("frozen"), str(uuid.uuid4()), tmp_path / "tab.txt"
    token = await login_by_header(fault_chat.url, user)
    stop, publishing = None, None
    try:
        with tab_process(fault_chat.url, token, session_id, out) as frozen:
            await wait_until(lambda: is_ready(out), what="the tab process to connect")
            await queue_consumed(amqp_url, session_id, 1)
            stop, publishing = await start_paced(pacer, user, PER_SECOND)
            await wait_until(lambda: len(pacer.accepted) >= PER_SECOND, what="a second of events")
            frozen.send_signal(signal.SIGSTOP)
            await wait_until(lambda: len(pacer.accepted) >= 6 * PER_SECOND, timeout=30, what="5 s frozen")
        # Killed (tab_process's exit): the kernel closes its socket. The browser comes back with the
        # same session id once the chat has seen the old socket go.
        before = shown_by(out)
        await queue_consumed(amqp_url, session_id, 0)
        back = ChatTab(fault_chat.url, token, session_id=session_id)
        await back.connect()
        returned_at = time.monotonic()
        await tab_ready(amqp_url, back)
        kill_backlog = list(pacer.accepted)
        await until_shown(kill_backlog, page_of=lambda: [page(before + pairs(back))])
        recovered = time.monotonic() - returned_at
        await wait_until(lambda: len(pacer.accepted) >= 8 * PER_SECOND, timeout=30, what="2 s more")
        stop.set()
        await publishing
        await until_shown(pacer.accepted, page_of=lambda: [page(before + pairs(back))])
        await back.disconnect()
    finally:
        if stop is not None and publishing is not None:
            stop.set()
            await publishing
    measured = report(capsys, figures("frozen 5 s, killed, back under its session", pacer.sent, pacer.accepted,
                                      [page(before + pairs(back))], recovered))
    assert measured.lost == 0 and measured.shown_twice == 0 and measured.out_of_order == 0, measured.line()
    assert measured.accepted == measured.sent


async def test_a_frozen_tab_that_never_returns_hands_its_events_to_the_users_next_tab(
        fault_chat: Service, pacer: PacedPublisher, amqp_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    user, session_id, out = fresh_user("gone"), str(uuid.uuid4()), tmp_path / "tab.txt"
    token = await login_by_header(fault_chat.url, user)
    with tab_process(fault_chat.url, token, session_id, out) as frozen:
        await wait_until(lambda: is_ready(out), what="the tab process to connect")
        await queue_consumed(amqp_url, session_id, 1)
        stop, publishing = await start_paced(pacer, user, PER_SECOND)
        try:
            await wait_until(lambda: len(pacer.accepted) >= PER_SECOND, what="a second of events")
            frozen.send_signal(signal.SIGSTOP)
            await wait_until(lambda: len(pacer.accepted) >= 4 * PER_SECOND, timeout=30, what="3 s frozen")
        finally:
            stop.set()
            await publishing
    killed_at = time.monotonic()
    before = page(shown_by(out))
    await queue_consumed(amqp_url, session_id, 0)
    # The user's other tab, opened now; the killed one never comes back.
    other = ChatTab(fault_chat.url, token)
    await other.connect()
    await tab_ready(amqp_url, other)
    await until_shown(pacer.accepted, page_of=lambda: [before, page(pairs(other))],
                      timeout=RECONNECT_GRACE_SECONDS + 30)
    recovered = time.monotonic() - killed_at
    await other.disconnect()
    measured = report(capsys, figures("frozen 3 s, killed, never back; the next tab", pacer.sent, pacer.accepted,
                                      [before, page(pairs(other))], recovered))
    assert measured.lost == 0 and measured.out_of_order == 0, measured.line()
    # Only what the frozen tab read in its last instant, without answering the ping behind it, is
    # shown in both tabs: at most a few events at this rate.
    assert measured.shown_twice <= 5, measured.line()
    assert measured.accepted == measured.sent


async def test_a_tab_back_with_a_backlog_shows_it_in_publish_order(
        fault_chat: Service, pacer: PacedPublisher, amqp_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    user = fresh_user("backlog")
    tab = ChatTab(fault_chat.url, await login_by_header(fault_chat.url, user))
    await tab.connect()
    await tab_ready(amqp_url, tab)
    stop, publishing = await start_paced(pacer, user, None)  # as fast as the notifier answers
    try:
        await wait_until(lambda: len(pacer.accepted) >= 500, timeout=60, what="500 events")
        await tab.disconnect()  # a network blip: the page keeps what it shows
        await queue_consumed(amqp_url, tab.session_id, 0)
        await wait_until(lambda: len(pacer.accepted) >= 1000, timeout=60, what="a backlog of 500 more")
        await tab.connect()
        returned_at = time.monotonic()
        await tab_ready(amqp_url, tab)
        backlog = list(pacer.accepted)
        await until_shown(backlog, page_of=lambda: [page(pairs(tab))], timeout=60)
        recovered = time.monotonic() - returned_at
        await wait_until(lambda: len(pacer.accepted) >= 2000, timeout=60, what="2,000 events")
    finally:
        stop.set()
        await publishing
    await until_shown(pacer.accepted, page_of=lambda: [page(pairs(tab))], timeout=60)
    await tab.disconnect()
    measured = report(capsys, figures("back with a backlog", pacer.sent, pacer.accepted, [page(pairs(tab))],
                                      recovered))
    assert measured.lost == 0 and measured.shown_twice == 0 and measured.out_of_order == 0, measured.line()
    assert measured.accepted == measured.sent
