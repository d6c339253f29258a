"""Writing an event into a Chainlit thread through the app's data layer, for a thread nobody shows.

The user sees it when they resume the thread. Only a thread that belongs to the event's user is
written; otherwise the event falls back as if no data layer were configured.
"""

from __future__ import annotations

import asyncio
import logging

import chainlit as cl
from chainlit.context import init_http_context
from chainlit.data import get_data_layer

from services.chat.render import message_content, message_metadata
from shared.events import Event, UserTarget

log = logging.getLogger(__name__)


async def persist_to_thread(event: Event) -> bool:
    """Write the event into its target thread; False when there is no such thread of that user."""
    data_layer = get_data_layer()
    target = event.target
    assert isinstance(target, UserTarget) and target.thread is not None
    if data_layer is None:
        return False
    thread = await data_layer.get_thread(target.thread)
    if not thread or thread.get("userIdentifier") != target.user:
        log.warning("event %s names thread %s, which %s does not own; not persisting it",
                    event.id, target.thread, target.user)
        return False

    async def write() -> None:
        # A task of its own, with a context of its own: Chainlit's step builder reads the context.
        init_http_context(thread_id=target.thread)
        message = cl.Message(content=message_content(event), author=event.source, metadata=message_metadata(event))
        await data_layer.create_step(message.to_dict())

    await asyncio.create_task(write())
    return True
