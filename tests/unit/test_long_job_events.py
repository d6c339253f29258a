"""The long-job example's events and job requests, against Herald's event contract."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from examples.long_job import job_events
from examples.long_job.jobs import MAX_STEPS, JobRequest
from herald.contract.events import EventRequest, UserTarget

pytestmark = pytest.mark.unit


def a_job(steps: int = 3) -> JobRequest:
    return JobRequest(job=uuid.uuid4().hex, user="alice", session=str(uuid.uuid4()), thread=str(uuid.uuid4()),
                      steps=steps)


def test_progress_goes_to_the_session_and_is_dropped_once_the_tab_is_gone() -> None:
    job = a_job()
    events = [EventRequest.model_validate(job_events.progress(job, step)) for step in (1, 2, 3)]
    for event in events:
        assert event.target == UserTarget(user="alice", session=job.session, fallback="drop")
        assert event.data is not None and event.data["thread"] == job.thread
    assert [event.id for event in events] == [f"job-{job.job}-{step}" for step in (1, 2, 3)]


@pytest.mark.parametrize("outcome", ["finished", "failed"])
def test_the_outcome_goes_to_the_session_and_falls_back_to_the_user(outcome: str) -> None:
    job = a_job()
    raw = job_events.finished(job, 2.5) if outcome == "finished" else job_events.failed(job, "OSError")
    event = EventRequest.model_validate(raw)
    assert event.target == UserTarget(user="alice", session=job.session, fallback="user")
    assert event.id == f"job-{job.job}-result"  # one id whichever way it ended: shown once
    assert event.severity == ("success" if outcome == "finished" else "error")


@pytest.mark.parametrize("change", [{"steps": 0}, {"steps": MAX_STEPS + 1}, {"session": "not-a-session"},
                                    {"thread": "S" * 36}, {"user": "a b"}, {"job": "x" * 32}, {"extra": 1}])
def test_a_job_request_out_of_bounds_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        JobRequest.model_validate({**a_job().model_dump(), **change})
