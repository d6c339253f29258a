"""Writing an event into a stored thread (through the tabs port: a Chainlit data layer), for a thread
nobody shows.

The user sees it when they resume the thread. Only a thread that belongs to the event's user is
written; otherwise the event falls back as if threads were not kept.
"""

from __future__ import annotations

import logging

from herald.chat.tabs import Tabs
from herald.contract.events import Event, UserTarget

log = logging.getLogger(__name__)


async def persist_to_thread(tabs: Tabs, event: Event) -> bool:
    """Write the event into its target thread; False when there is no such thread of that user."""
    target = event.target
    assert isinstance(target, UserTarget) and target.thread is not None
    if not tabs.keeps_threads or event.display == "toast":
        return False  # a toast is never kept: it falls back to the user's tabs, as without threads
    if await tabs.thread_owner(target.thread) != target.user:
        log.warning("event %s names thread %s, which %s does not own; not persisting it",
                    event.id, target.thread, target.user)
        return False
    await tabs.write_to_thread(target.thread, event)
    return True
