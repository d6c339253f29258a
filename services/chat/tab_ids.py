"""What a browser may call its tab: the ids it brings when its socket connects, checked before Chainlit
or Herald use them.

The session id and the thread id come from the browser (Chainlit's `auth` payload) and become a queue
name and routing-key words (shared/topology.py). Chainlit's frontend makes the session id and Chainlit
makes thread ids, all uuid4 strings; anything else did not come from Chainlit and is refused, before a
`#` could bind a wildcard or a 300-character id could make a queue name the broker refuses.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from herald.contract.events import SessionId, ThreadId

_session_id: TypeAdapter[str] = TypeAdapter(SessionId)
_thread_id: TypeAdapter[str] = TypeAdapter(ThreadId)

# How much of a refused id a log line quotes: enough to recognise it, never a 300-character line.
QUOTED_CHARACTERS = 40


class TabRefused(Exception):
    """Herald will not serve this tab; the message says why (it is logged, and the socket closed)."""


def refusal_reason(auth: Any) -> str | None:
    """Why a socket's `auth` payload names no tab Chainlit could have made; None when it is fine."""
    if not isinstance(auth, dict):
        return "it sent no auth payload"
    session_id, thread_id = auth.get("sessionId"), auth.get("threadId")
    if not _valid(_session_id, session_id):
        return f"its session id {quoted(session_id)} is not a Chainlit session id (a uuid)"
    # An empty thread id asks Chainlit for a new thread.
    if thread_id not in (None, "") and not _valid(_thread_id, thread_id):
        return f"its thread id {quoted(thread_id)} is not a Chainlit thread id (a uuid)"
    return None


def _valid(adapter: TypeAdapter[str], value: Any) -> bool:
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


def quoted(value: Any) -> str:
    text = repr(value)
    if len(text) <= QUOTED_CHARACTERS:
        return text
    return f"{text[:QUOTED_CHARACTERS]}... ({len(str(value))} characters)"
