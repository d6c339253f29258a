"""A chat replica killed outright (SIGKILL) under a user's tab: its tab's queue must stop collecting the
user's events at once, so that when the session timeout passes (an hour by default, a few seconds
here through HERALD_SESSION_TIMEOUT_SECONDS) no burst of events the user has already seen comes back
through the inbox into a new tab. Real replicas, broker, notifier and socket.io clients."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from pathlib import Path

import pytest

from herald.contract.topology import session_queue_name
from tests.faults.conftest import FAULT_CHAT_ENV
from tests.support import processes
from tests.support.broker_probe import queue_exists
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.fault_figures import figures, page
from tests.support.paced_publisher import PacedPublisher
from tests.support.routing_drivers import fresh_user, tab_ready
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

SESSION_TIMEOUT_SECONDS = 4
PER_SECOND = 100


def shown(tab: ChatTab) -> list[str]:
    return page([(step["id"], step["metadata"]["herald_event_id"]) for step in tab.herald_events()])


async def publish(pacer: PacedPublisher, user: str, until: int) -> None:
    stop = asyncio.Event()
    publishing = asyncio.create_task(pacer.run(user, PER_SECOND, stop))
    try:
        await wait_until(lambda: len(pacer.accepted) >= until, timeout=30, what=f"{until} events accepted")
    finally:
        stop.set()
        await publishing


async def test_a_killed_replicas_tab_feeds_no_stale_burst_into_a_new_tab(
        amqp_url: str, users_file: Path, workdir: Path, pacer: PacedPublisher,
        capsys: pytest.CaptureFixture[str]) -> None:
    env = {**FAULT_CHAT_ENV, "HERALD_SESSION_TIMEOUT_SECONDS": str(SESSION_TIMEOUT_SECONDS)}
    user = fresh_user("crash")
    with processes.chat(amqp_url, users_file, workdir, name="crash-a", env=env) as doomed, \
            processes.chat(amqp_url, users_file, workdir, name="crash-b", env=env) as survivor:
        on_doomed = ChatTab(doomed.url, await login_by_header(doomed.url, user))
        on_survivor = ChatTab(survivor.url, token := await login_by_header(survivor.url, user))
        for tab in (on_doomed, on_survivor):
            await tab.connect()
            await tab_ready(amqp_url, tab)
        await publish(pacer, user, PER_SECOND)
        await wait_until(lambda: set(pacer.accepted) <= set(shown(on_doomed)), what="the doomed tab to show all")

        os.killpg(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
        killed_at = time.monotonic()
        await publish(pacer, user, 2 * PER_SECOND)
        await wait_until(lambda: set(pacer.accepted) <= set(shown(on_survivor)), timeout=30,
                         what="the surviving tab to show all")
        recovered = time.monotonic() - killed_at

        # The user's new tab, open while the dead tab's queue times out: its messages expire into the
        # inbox after one session timeout, and the queue itself after two.
        new_tab = ChatTab(survivor.url, token)
        await new_tab.connect()
        await tab_ready(amqp_url, new_tab)
        seen_before = set(pacer.accepted)

        # What is tested is a timeout passing: nothing to poll, since asking the broker about the
        # dead tab's queue would count as using it and put its expiry off.
        await asyncio.sleep(max(0.0, killed_at + 3 * SESSION_TIMEOUT_SECONDS + 2 - time.monotonic()))
        assert not await queue_exists(amqp_url, session_queue_name(on_doomed.session_id))
        await publish(pacer, user, len(pacer.accepted) + 1)  # a marker: everything before it has arrived
        await wait_until(lambda: pacer.accepted[-1] in shown(new_tab), what="the marker in the new tab")
        stale = len(set(shown(new_tab)) & seen_before)
        for tab in (on_survivor, new_tab):
            await tab.disconnect()
    measured = dataclasses.replace(
        figures("replica killed, session timeout passed, new tab", pacer.sent, pacer.accepted,
                [shown(on_survivor)], recovered), shown_twice=stale)
    with capsys.disabled():
        print("\n" + measured.line() + " (shown twice: already seen, shown again in the new tab)")
    assert measured.lost == 0 and measured.out_of_order == 0, measured.line()
    assert stale == 0, measured.line()
