"""A tab's first notifications start its thread once, however many arrive together, and a thread the user
already started is written to as it is (Chainlit's own session and emitter; the data layer a recorder)."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from typing import Any

import pytest
from chainlit.context import init_ws_context
from chainlit.session import WebsocketSession

from herald.chat.chainlit_tabs import keep_in_thread
from herald.chat.render import thread_name
from herald.contract.events import Event, EventRequest

pytestmark = pytest.mark.unit


class Recorder:
    """What reaches the data layer and the tab."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.emitted: list[tuple[str, Any]] = []

    async def create_step(self, step: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # a write takes a turn of the loop, as a real one does
        self.steps.append(step["id"])

    async def emit(self, event: str, data: Any) -> None:
        await asyncio.sleep(0)  # an emit takes a turn too: another event's write may run meanwhile
        self.emitted.append((event, data))


def session(recorder: Recorder) -> WebsocketSession:
    return WebsocketSession(id=str(uuid.uuid4()), socket_id=f"sid-{uuid.uuid4().hex}", emit=recorder.emit,
                            emit_call=recorder.emit, user_env={}, client_type="webapp", thread_id=str(uuid.uuid4()))


def event(title: str | None) -> Event:
    return EventRequest.model_validate({"target": {"user": "alice"}, "title": title, "body": "b"}).to_event("ci")


async def keep(recorder: Recorder, tab: WebsocketSession, step_id: str, title: str | None) -> None:
    context = contextvars.copy_context()
    context.run(init_ws_context, tab)
    await asyncio.create_task(keep_in_thread(recorder, tab, {"id": step_id}, event(title)),  # type: ignore[arg-type]
                              context=context)


async def test_notifications_before_any_message_start_the_thread_once_named_after_the_first() -> None:
    recorder = Recorder()
    tab = session(recorder)
    try:
        await asyncio.gather(keep(recorder, tab, "one", "Build ready"), keep(recorder, tab, "two", "Deployed"))
        assert sorted(recorder.steps) == ["one", "two"]
        assert recorder.emitted == [("first_interaction", {"interaction": "Build ready", "thread_id": tab.thread_id})]
        assert tab.has_first_interaction
    finally:
        await tab.delete()


async def test_a_thread_the_user_started_is_written_to_as_it_is() -> None:
    recorder = Recorder()
    tab = session(recorder)
    tab.has_first_interaction = True
    try:
        await keep(recorder, tab, "one", "Build ready")
        assert recorder.steps == ["one"] and recorder.emitted == []
    finally:
        await tab.delete()


def test_a_thread_is_named_after_the_event_or_its_source() -> None:
    assert thread_name(event("Build ready")) == "Build ready"
    assert thread_name(event(None)) == "Notifications from ci"
