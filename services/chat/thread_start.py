"""Keeping an event shown in a tab in that tab's thread, even before the user has typed anything.

Chainlit makes a session's thread on the user's first message and, until then, only queues the
session's data layer writes (`queue_until_user_message` in chainlit/data/utils.py). A notification
shown to a tab whose user never types would then be lost on reload. So Herald starts the thread itself,
as a first message would (`emitter.init_thread`, which also writes what was queued: the app's greeting),
named after the event. The frontend is told (`first_interaction`), lists the thread, and resumes it on reload.

Reaches into Chainlit's session: `WebsocketSession.has_first_interaction`, the flag Chainlit's own socket
handlers set before they call `init_thread` (chainlit/emitter.py, process_message).
"""

from __future__ import annotations

from typing import Any

from chainlit.context import context
from chainlit.data.base import BaseDataLayer
from chainlit.session import WebsocketSession

from herald.contract.events import Event


def thread_name(event: Event) -> str:
    return event.title or f"Notifications from {event.source}"


async def keep_in_thread(data_layer: BaseDataLayer, session: WebsocketSession, step: dict[str, Any],
                         event: Event) -> None:
    """Write `step` to the session's thread, starting the thread first if the user has not.
    Runs in the session's Chainlit context (render.chainlit_context), as the emitter is read from it."""
    if not session.has_first_interaction:
        session.has_first_interaction = True  # before any await: the next event's write must not start it again
        await context.emitter.init_thread(thread_name(event))
    await data_layer.create_step(step)
