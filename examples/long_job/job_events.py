"""What the worker tells the user: Herald events for a job's progress and its outcome.

Both name the job's session (`cl.context.session.id` when it was asked for), so they land in that tab's
conversation only, whichever other tabs and conversations the user has open. The session target falls
back as the README's Targets table says: while the tab is away its events wait for it to reconnect,
and once Chainlit has given the session up (after its session timeout)
- progress is dropped (`"fallback": "drop"`): stale steps would only clutter the user's other tabs;
- the outcome falls back to a user event (`"fallback": "user"`): it shows in the user's other
  connected tabs, or waits in their inbox for the next one, and its `data.thread` names the
  conversation that asked.
"""

from __future__ import annotations

from typing import Any

from examples.long_job.jobs import JobRequest


def _target(job: JobRequest, fallback: str) -> dict[str, str]:
    return {"user": job.user, "session": job.session, "fallback": fallback}


def _data(job: JobRequest, **more: Any) -> dict[str, Any]:
    return {"job": job.job, "thread": job.thread, "steps": job.steps, **more}


def short(job: JobRequest) -> str:
    return job.job[:8]


def progress(job: JobRequest, step: int) -> dict[str, Any]:
    bar = "▰" * step + "▱" * (job.steps - step)
    return {"id": f"job-{job.job}-{step}", "target": _target(job, "drop"),
            "title": f"Job {short(job)}: step {step} of {job.steps}", "body": bar, "severity": "info",
            "data": _data(job, step=step)}


def finished(job: JobRequest, seconds: float) -> dict[str, Any]:
    return {"id": f"job-{job.job}-result", "target": _target(job, "user"),
            "title": f"Job {short(job)} finished", "severity": "success",
            "body": f"All {job.steps} steps done in {seconds:.1f} s.", "data": _data(job, outcome="finished")}


def failed(job: JobRequest, reason: str) -> dict[str, Any]:
    return {"id": f"job-{job.job}-result", "target": _target(job, "user"),
            "title": f"Job {short(job)} failed", "severity": "error",
            "body": f"The job stopped: {reason}", "data": _data(job, outcome="failed")}
