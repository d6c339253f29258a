"""What an event looks like in a chat: the message's markdown, metadata and id, and the step Herald
emits for it. Pure functions: chainlit_tabs.py does the showing.

Herald builds the message's step itself rather than through `cl.Message(...).send()`:
- `cl.Message.__init__` calls `time.sleep(0.001)` (to spread `created_at`), which blocks the whole
  replica for a millisecond per message: a thousand sessions would stall every user for a second;
- `send()` reads the session from a context variable, so each call needs a task with a context of its
  own, and a broadcast would build, encode and persist one message per session.
The step is the dict `cl.Message.to_dict()` gives (Chainlit's `StepDict`; tests/unit/test_chainlit_contract.py
holds its keys, value types and time format to the installed Chainlit), and it goes out as the same
`new_message` event, so the frontend cannot tell the difference. Herald's messages are not added to
`cl.chat_context` (Chainlit's in-memory history of what the app itself said and heard).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from herald.chat import notification_view
from herald.chat.config import image_hosts
from herald.chat.notification_view import Acknowledged
from herald.contract.events import Event

# A step: the dict Chainlit's `StepDict` describes (Herald's own name, so no Chainlit type leaves the adapter).
Step = dict[str, Any]


def message_content(event: Event, acknowledged: Acknowledged | None = None) -> str:
    """Markdown with the severity and the title on top, then the body and links (notification_view.py)."""
    return notification_view.content(event, image_hosts(), acknowledged)


def message_metadata(event: Event, acknowledged: Acknowledged | None = None) -> dict[str, object]:
    return notification_view.metadata(event, acknowledged)


def message_id(event: Event, scope: str | None) -> str:
    """The same id each time an event is shown in one session (or written to one thread): Chainlit's
    frontend then updates the message it has instead of adding a second one, and a data layer
    overwrites its step. A live broadcast (scope None) has one id everywhere: it is never written to
    a thread, where ids must be unique."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"herald:{scope}:{event.id}" if scope else f"herald:{event.id}"))


def step(event: Event, step_id: str, thread_id: str, acknowledged: Acknowledged | None = None) -> Step:
    """The step `cl.Message(content, author=event.source, metadata=...).to_dict()` would give."""
    return assistant_step(step_id, thread_id, message_content(event, acknowledged), event.source,
                          message_metadata(event, acknowledged))


def assistant_step(step_id: str, thread_id: str, output: str, author: str, metadata: dict[str, Any]) -> Step:
    now = utc_now()
    return {
        "id": step_id, "threadId": thread_id, "parentId": None, "createdAt": now, "command": None,
        "modes": None, "start": now, "end": now, "output": output, "name": author, "type": "assistant_message",
        "language": None, "streaming": False, "isError": False, "waitForAnswer": False, "metadata": metadata,
        "tags": None,
    }


def utc_now() -> str:
    """The time as Chainlit stamps a step (`chainlit.utils.utc_now`): naive ISO 8601 in UTC, then "Z"."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"


def thread_name(event: Event) -> str:
    """The name of a thread Herald starts for a notification shown before the user typed anything."""
    return event.title or f"Notifications from {event.source}"
