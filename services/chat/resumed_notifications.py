"""Herald's notifications in a thread resumed from history, as they were shown live.

Chainlit's data layers keep a message's text and metadata, but not its action buttons, and Herald does
not write its image elements there (render.py says why). Call this from the app's `@cl.on_chat_resume`
(the demo app does): the thread's Herald messages get back their image and, unless acknowledged, their
ack buttons; a click on one is shown as acknowledged in this tab too.

    @cl.on_chat_resume
    async def resume(thread: ThreadDict) -> None:
        await restore_notifications(thread)
"""

from __future__ import annotations

from typing import Any

from chainlit.context import context
from chainlit.session import WebsocketSession

from herald.chat import render


async def restore_notifications(thread: Any) -> None:
    """In `@cl.on_chat_resume`, with the thread it was given (which this adds the images to)."""
    if isinstance(context.session, WebsocketSession):  # a resume always comes through a tab's socket
        await render.restore_extras(context.session, thread)
