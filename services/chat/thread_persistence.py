"""Writing an event into a Chainlit thread through the app's data layer, for a thread nobody shows.

The user sees it when they resume the thread. Only a thread that belongs to the event's user is
written; otherwise the event falls back as if no data layer were configured.
"""

from __future__ import annotations

import asyncio
import logging

from chainlit.context import init_http_context
from chainlit.data import get_data_layer

from herald.chat import render
from herald.contract.events import Event, UserTarget

log = logging.getLogger(__name__)


async def persist_to_thread(event: Event) -> bool:
    """Write the event into its target thread; False when there is no such thread of that user."""
    data_layer = get_data_layer()
    target = event.target
    assert isinstance(target, UserTarget) and target.thread is not None
    if data_layer is None or event.display == "toast":
        return False  # a toast is never kept: it falls back to the user's tabs, as without a data layer
    thread = await data_layer.get_thread(target.thread)
    if not thread or thread.get("userIdentifier") != target.user:
        log.warning("event %s names thread %s, which %s does not own; not persisting it",
                    event.id, target.thread, target.user)
        return False
    # A redelivered event gets the same step id, so the data layer overwrites instead of adding.
    step = render.step(event, render.message_id(event, f"thread:{target.thread}"), target.thread)
    context = render.chainlit_context(init_http_context, thread_id=target.thread)
    await asyncio.create_task(data_layer.create_step(dict(step)), context=context)
    return True
