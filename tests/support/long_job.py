"""Driving the long-job example (examples/long_job/) from a test: its worker as a process, and tabs that
ask for jobs, press buttons and time the chat's replies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.rabbitmq_node import watchdog
from tests.support import processes
from tests.support.broker_probe import consumer_count
from tests.support.chat_client import ChatTab
from tests.support.processes import ROOT
from tests.support.waiting import eventually, wait_until


@contextmanager
def worker_process(amqp_url: str, notifier_url: str, key: str, workdir: Path, queue: str, step_seconds: float,
                   name: str = "long-job-worker") -> Iterator[subprocess.Popen[bytes]]:
    """The example's worker, started as its README says, stopped with SIGTERM (SIGKILL after 15 s); its
    output goes to `<workdir>/<name>.log`."""
    env = {**os.environ, "HERALD_AMQP_URL": amqp_url, "HERALD_NOTIFIER_URL": notifier_url, "HERALD_KEY": key,
           "LONG_JOB_QUEUE": queue, "LONG_JOB_STEP_SECONDS": str(step_seconds), "PYTHONPATH": str(ROOT)}
    with (workdir / f"{name}.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "examples.long_job.worker"], cwd=workdir, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    dog = watchdog(process.pid)
    try:
        yield process
    finally:
        processes.stop(process, dog)


async def worker_ready(amqp_url: str, queue: str) -> None:
    async def consuming() -> bool:
        return await consumer_count(amqp_url, queue) == 1

    await eventually(consuming, timeout=30, what="the worker to consume the job queue")


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
