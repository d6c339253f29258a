"""The long-job pattern (examples/long_job/): a chat hands a slow job to a worker, which reports back
through the notifier into the conversation that asked, by its session. Real broker, notifier, the
example's chat and worker as processes, socket.io clients as tabs."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.rabbitmq_node import watchdog
from tests.conftest import Keys
from tests.e2e.conftest import SESSION_TIMEOUT_SECONDS
from tests.support import processes
from tests.support.broker_probe import consumer_count, queued_ids
from tests.support.chat_client import ChatTab, login_by_header
from tests.support.processes import ROOT, Service
from tests.support.routing_drivers import Publisher, fresh_user, settled, tab_ready
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e

QUEUE = f"long-jobs-{uuid.uuid4().hex[:8]}"  # this run's own: the worker takes only the jobs of this chat
STEP_SECONDS = 1.0
# A sanity bound, not a performance claim: below one job step, so a chat whose loop ran even one step
# of the job fails; the measured figures are far below (tens of milliseconds).
PROMPT_REPLY_SECONDS = 0.8


@pytest.fixture(scope="module")
def job_chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[Service]:
    env = {"HERALD_AUTH_MODE": "header", "HERALD_SESSION_TIMEOUT_SECONDS": str(SESSION_TIMEOUT_SECONDS),
           "LONG_JOB_QUEUE": QUEUE}
    with processes.chat(amqp_url, users_file, workdir, name="long-job-chat", env=env,
                        app=ROOT / "examples/long_job/app.py") as chat:
        yield chat


@contextmanager
def worker_process(amqp_url: str, notifier: Service, key: str, workdir: Path,
                   name: str = "long-job-worker") -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "HERALD_AMQP_URL": amqp_url, "HERALD_NOTIFIER_URL": notifier.url, "HERALD_KEY": key,
           "LONG_JOB_QUEUE": QUEUE, "LONG_JOB_STEP_SECONDS": str(STEP_SECONDS), "PYTHONPATH": str(ROOT)}
    with (workdir / f"{name}.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "examples.long_job.worker"], cwd=workdir, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    dog = watchdog(process.pid)
    try:
        yield process
    finally:
        processes.stop(process, dog)


async def worker_ready(amqp_url: str) -> None:
    async def consuming() -> bool:
        return await consumer_count(amqp_url, QUEUE) == 1

    await eventually(consuming, timeout=30, what="the worker to consume the job queue")


@pytest.fixture
async def worker(amqp_url: str, notifier: Service, keys: Keys, workdir: Path) -> AsyncIterator[None]:
    with worker_process(amqp_url, notifier, keys.publisher, workdir) as process:
        await worker_ready(amqp_url)
        yield
    assert process.returncode == 0, "the worker did not stop cleanly on SIGTERM"


@dataclass
class JobTab(ChatTab):
    """A tab that also keeps the buttons the chat shows it, to press them as a user would."""

    buttons: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.client.on("action", self._on_action)

    async def _on_action(self, action: dict[str, Any]) -> None:
        self.buttons.append(action)

    async def press(self, name: str) -> None:
        """Click the button, as Chainlit's frontend does: POST it back with the session id."""
        await wait_until(lambda: any(b["name"] == name for b in self.buttons), what=f"the button {name}")
        [button] = [b for b in self.buttons if b["name"] == name]
        async with httpx.AsyncClient(base_url=self.base_url, cookies={"access_token": self.token}) as http:
            response = await http.post("/project/action", json={"sessionId": self.session_id, "action": button})
        assert response.status_code == 200, response.text


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


async def start_job(tab: ChatTab, steps: int) -> str:
    """Ask for a job as a user types it; the chat's answer names the job."""
    before = len(queued_jobs(tab))
    await tab.say(f"job {steps}")
    await wait_until(lambda: len(queued_jobs(tab)) > before, what="the chat to queue the job")
    return queued_jobs(tab)[-1]


def queued_jobs(tab: ChatTab) -> list[str]:
    return [step["metadata"]["job"] for step in tab.messages if "job" in (step.get("metadata") or {})]


def job_event_ids(job: str, steps: int) -> list[str]:
    """What the worker posts for a job, as the notifier scopes the ids to its key ("tests")."""
    return [f"tests:job-{job}-{step}" for step in range(1, steps + 1)] + [f"tests:job-{job}-result"]


async def reply_seconds(tab: ChatTab, text: str, timeout: float = 30) -> float:  # noqa: ASYNC109
    started = time.monotonic()
    await tab.say(text)
    while not any(step.get("output") == f"You said: {text}" for step in tab.messages):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no reply to {text!r} in {timeout:g} s")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


def shown(tab: ChatTab, event_id: str) -> dict[str, Any]:
    [step] = [step for step in tab.herald_events() if step["metadata"]["herald_event_id"] == event_id]
    return step


async def test_the_chat_answers_promptly_while_a_job_runs(
        job_chat: Service, worker: None, tabs: list[JobTab], amqp_url: str) -> None:
    tab = await new_conversation(job_chat, fresh_user("busy"), tabs, amqp_url)
    steps = 5
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
    with worker_process(amqp_url, notifier, keys.publisher, workdir, name="stopped-worker") as first:
        await worker_ready(amqp_url)
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

    with worker_process(amqp_url, notifier, keys.publisher, workdir, name="next-worker") as second:
        await worker_ready(amqp_url)
        await wait_until(lambda: expected[-1] in tab.event_ids(), timeout=60, what="the job done by the next worker")
        await settled(publisher, user, tab)
        assert tab.event_ids() == expected
        assert tab.emitted_ids() == expected  # the steps both workers posted are shown once
    assert second.returncode == 0

