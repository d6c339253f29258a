"""Showing an event in one Chainlit session, from outside any socket handler."""

from __future__ import annotations

import asyncio
import uuid

import chainlit as cl
from chainlit.context import init_ws_context
from chainlit.server import sio
from chainlit.session import WebsocketSession

from shared.events import Event, Severity

SEVERITY_BADGE = {
    Severity.INFO: "ℹ️",  # noqa: RUF001 (the emoji is meant)
    Severity.SUCCESS: "✅",
    Severity.WARNING: "⚠️",
    Severity.ERROR: "🛑",
}


def message_content(event: Event) -> str:
    """Markdown with the severity and the title on top, then the body."""
    severity = event.severity.value.capitalize()
    heading = f"{severity} · {event.title}" if event.title else severity
    return f"{SEVERITY_BADGE[event.severity]} **{heading}**\n\n{event.body}"


def message_metadata(event: Event) -> dict[str, object]:
    return {"herald_event_id": event.id, "severity": event.severity.value, "title": event.title,
            "source": event.source, "data": event.data}


def is_live(session: WebsocketSession) -> bool:
    """Chainlit keeps a disconnected session until its timeout, and emits to it vanish silently."""
    return bool(sio.manager.is_connected(session.socket_id, "/"))


def message_id(session: WebsocketSession, event: Event) -> str:
    """The same id each time an event is shown in a session: Chainlit's frontend then updates the
    message it has instead of adding a second one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"herald:{session.id}:{event.id}"))


async def show(session: WebsocketSession, event: Event) -> None:
    async def push() -> None:
        # A task of its own: the context it sets cannot leak into the consumer or another session.
        init_ws_context(session)
        await cl.Message(
            id=message_id(session, event),
            content=message_content(event),
            author=event.source,
            metadata=message_metadata(event),
        ).send()

    await asyncio.create_task(push())
