"""The long-job pattern (examples/long_job/): a chat hands a slow job to a worker, which reports back
through the notifier into the conversation that asked, by its session. Real broker, notifier, the
example's chat and worker as processes, socket.io clients as tabs."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from scripts.rabbitmq_node import free_port
from tests.conftest import Keys
from tests.e2e.conftest import SESSION_TIMEOUT_SECONDS
from tests.support import processes
from tests.support.broker_probe import queued_ids
from tests.support.chat_client import login_by_header
from tests.support.long_job import (
    JobTab,
    job_event_ids,
    queued_jobs,
    reply_seconds,
    shown,
    start_job,
    worker_process,
    worker_ready,
)
from tests.support.processes import ROOT, Service
from tests.support.routing_drivers import Publisher, fresh_user, settled, tab_ready
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

QUEUE = f"long-jobs-{uuid.uuid4().hex[:8]}"  # this run's own: the worker takes only the jobs of this chat
STEP_SECONDS = 1.0
# A sanity bound, not a performance claim: below one step of the timed job, so a chat whose loop ran
# even one step of it fails, yet far above the measured figures (tens of milliseconds; 285 ms at most
# seen on a loaded machine), so that a busy machine does not fail it.
TIMED_STEP_SECONDS = 2.0
PROMPT_REPLY_SECONDS = 1.5


@pytest.fixture(scope="module")
def job_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    env = {"HERALD_AUTH_MODE": "header", "HERALD_SESSION_TIMEOUT_SECONDS": str(SESSION_TIMEOUT_SECONDS),
           "LONG_JOB_QUEUE": QUEUE}
    with processes.chat(amqp_url, users_file, workdir, name="long-job-chat", env=env,
                        app=ROOT / "examples/long_job/app.py") as chat:
        yield chat


def a_worker(amqp_url: str, notifier: Service | str, keys: Keys, workdir: Path, name: str = "long-job-worker",
             step_seconds: float = STEP_SECONDS) -> AbstractContextManager[subprocess.Popen[bytes]]:
    notifier_url = notifier if isinstance(notifier, str) else notifier.url
    return worker_process(amqp_url, notifier_url, keys.publisher, workdir, QUEUE, step_seconds, name)


@pytest.fixture
async def worker(amqp_url: str, notifier: Service, keys: Keys, workdir: Path) -> AsyncIterator[None]:
    with a_worker(amqp_url, notifier, keys, workdir) as process:
        await worker_ready(amqp_url, QUEUE)
        yield
    assert process.returncode == 0, "the worker did not stop cleanly on SIGTERM"


@pytest.fixture
async def tabs() -> AsyncIterator[list[JobTab]]:
    opened: list[JobTab] = []
    yield opened
    for tab in opened:
        if tab.client.connected:
            await tab.disconnect()


async def new_conversation(chat: Service, user: str, opened: list[JobTab], amqp_url: str) -> JobTab:
    """A tab of its own (a fresh session id) on a conversation of its own (a fresh thread id)."""
    tab = JobTab(chat.url, await login_by_header(chat.url, user), thread_id=str(uuid.uuid4()))
    opened.append(tab)
    await tab.connect()
    await tab_ready(amqp_url, tab)
    return tab


async def test_the_chat_answers_promptly_while_a_job_runs(
        job_chat: Service, notifier: Service, keys: Keys, tabs: list[JobTab], amqp_url: str, workdir: Path) -> None:
    tab = await new_conversation(job_chat, fresh_user("busy"), tabs, amqp_url)
    steps = 4
    with a_worker(amqp_url, notifier, keys, workdir, "timed-worker", step_seconds=TIMED_STEP_SECONDS) as worker:
        await worker_ready(amqp_url, QUEUE)
        asked = time.monotonic()
        job = await start_job(tab, steps)
        latencies = [time.monotonic() - asked]  # the answer to the job request itself comes first
        expected = job_event_ids(job, steps)

        after_progress = 0
        while expected[-1] not in tab.event_ids():  # until the result: every reply below came mid-job
            under_way = expected[0] in tab.event_ids()
            latencies.append(await reply_seconds(tab, f"ping {len(latencies)}"))
            after_progress += under_way
            await asyncio.sleep(0.1)  # a user types; a flood would measure the machine, not the chat
    assert worker.returncode == 0
    print(f"\njob request answered in {latencies[0] * 1000:.0f} ms; while it ran, {len(latencies) - 1} "
          f"replies: median {statistics.median(latencies[1:]) * 1000:.1f} ms, max {max(latencies[1:]) * 1000:.1f} ms")
    assert after_progress >= 3, f"{after_progress} replies came while the job reported progress"
    assert max(latencies) < PROMPT_REPLY_SECONDS, latencies
    assert tab.event_ids() == expected


async def test_the_result_lands_in_the_conversation_that_asked(
        job_chat: Service, worker: None, tabs: list[JobTab], publisher: Publisher, amqp_url: str) -> None:
    user = fresh_user("two-tabs")
    asking = await new_conversation(job_chat, user, tabs, amqp_url)
    job = await start_job(asking, steps=4)
    await wait_until(lambda: job_event_ids(job, 4)[0] in asking.event_ids(), what="the job to run")

    # The same user opens a second tab, another conversation, and starts a job there too.
    other = await new_conversation(job_chat, user, tabs, amqp_url)
    assert (await reply_seconds(other, "hello from the other conversation")) < PROMPT_REPLY_SECONDS
    await other.press("start_job")  # the greeting's button this time: a job of 5 steps
    await wait_until(lambda: len(queued_jobs(other)) == 1, what="the chat to queue the button's job")
    [other_job] = queued_jobs(other)

    await wait_until(lambda: job_event_ids(job, 4)[-1] in asking.event_ids(), timeout=60,
                     what="the first job's result")
    await wait_until(lambda: job_event_ids(other_job, 5)[-1] in other.event_ids(), timeout=60,
                     what="the second job's result")
    await settled(publisher, user, asking, other)  # anything else on its way has arrived by now
    assert asking.event_ids() == job_event_ids(job, 4)
    assert other.event_ids() == job_event_ids(other_job, 5)
    for tab, its_job in ((asking, job), (other, other_job)):
        for step in (shown(tab, event_id) for event_id in tab.event_ids()):
            assert step["threadId"] == tab.thread_id  # in the tab's own conversation
            assert step["metadata"]["data"]["job"] == its_job
            assert step["metadata"]["data"]["thread"] == tab.thread_id
    result = shown(asking, job_event_ids(job, 4)[-1])
    assert result["metadata"]["severity"] == "success" and "All 4 steps done" in result["output"]


async def test_a_job_whose_tab_has_gone_reports_its_result_to_the_users_other_tab(
        job_chat: Service, worker: None, tabs: list[JobTab], publisher: Publisher, amqp_url: str) -> None:
    """The session target's documented fallback (README, Targets): once the session timeout has passed,
    the result (`"fallback": "user"`) reaches the user's other tabs; progress (`"fallback": "drop"`)
    does not."""
    user = fresh_user("gone")
    leaving = await new_conversation(job_chat, user, tabs, amqp_url)
    staying = await new_conversation(job_chat, user, tabs, amqp_url)
    steps = 4
    job = await start_job(leaving, steps)
    expected = job_event_ids(job, steps)
    await wait_until(lambda: expected[0] in leaving.event_ids(), what="the job to run")
    await leaving.disconnect()
    gone_at = len(leaving.event_ids())

    await wait_until(lambda: expected[-1] in staying.event_ids(), what="the result in the other tab",
                     timeout=steps * STEP_SECONDS + SESSION_TIMEOUT_SECONDS + 30)
    await settled(publisher, user, staying)
    assert staying.event_ids() == [expected[-1]]  # the result alone, no progress
    assert leaving.event_ids() == expected[:gone_at]  # what it showed before it went, nothing since
    result = shown(staying, expected[-1])
    assert result["metadata"]["data"]["thread"] == leaving.thread_id  # says which conversation asked
    assert result["threadId"] == staying.thread_id


async def test_a_stopped_worker_leaves_its_job_to_the_next_one_and_nothing_shows_twice(
        job_chat: Service, notifier: Service, keys: Keys, tabs: list[JobTab], publisher: Publisher,
        amqp_url: str, workdir: Path) -> None:
    user = fresh_user("restart")
    tab = await new_conversation(job_chat, user, tabs, amqp_url)
    steps = 6
    with a_worker(amqp_url, notifier, keys, workdir, "stopped-worker") as first:
        await worker_ready(amqp_url, QUEUE)
        job = await start_job(tab, steps)
        expected = job_event_ids(job, steps)
        await wait_until(lambda: expected[1] in tab.event_ids(), what="the job to be under way")
        stopping = time.monotonic()
        first.terminate()
        await asyncio.to_thread(first.wait, 15)
        stopped_in = time.monotonic() - stopping
    assert first.returncode == 0
    assert stopped_in < 5, f"the worker took {stopped_in:.1f} s to stop"
    assert await queued_ids(amqp_url, QUEUE) == [job]  # back on the queue, not lost

    with a_worker(amqp_url, notifier, keys, workdir, "next-worker") as second:
        await worker_ready(amqp_url, QUEUE)
        await wait_until(lambda: expected[-1] in tab.event_ids(), timeout=60, what="the job done by the next worker")
        await settled(publisher, user, tab)
        assert tab.event_ids() == expected
        assert tab.emitted_ids() == expected  # the steps both workers posted are shown once
    assert second.returncode == 0



async def test_a_jobs_reports_wait_for_a_notifier_that_is_away(
        job_chat: Service, keys: Keys, tabs: list[JobTab], amqp_url: str, workdir: Path) -> None:
    user = fresh_user("notifier-away")
    tab = await new_conversation(job_chat, user, tabs, amqp_url)
    port = free_port()  # where the notifier will be; nothing answers there yet
    with a_worker(amqp_url, f"http://127.0.0.1:{port}", keys, workdir, "worker-waiting") as worker:
        await worker_ready(amqp_url, QUEUE)
        job = await start_job(tab, steps=2)
        expected = job_event_ids(job, 2)
        log = workdir / "worker-waiting.log"
        await wait_until(lambda: "notifier unreachable" in log.read_text(), timeout=30,
                         what="the worker to find the notifier away")
        assert tab.event_ids() == []

        env = {"HERALD_AMQP_URL": amqp_url, "HERALD_API_KEYS_FILE": str(keys.file), "PYTHONPATH": str(ROOT),
               "HERALD_STATE_DB": str(workdir / "late-notifier.sqlite3")}
        command = [sys.executable, "-m", "herald.notifier", "--host", "127.0.0.1", "--port", str(port)]
        with processes.running("late-notifier", command, env, workdir, "/readyz", port) as late:
            await wait_until(lambda: expected[-1] in tab.event_ids(), timeout=60, what="the reports, once it is back")
            await settled(Publisher(late, keys), user, tab)
        assert tab.emitted_ids() == expected
    assert worker.returncode == 0
