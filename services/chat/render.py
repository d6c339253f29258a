"""Showing an event as a Chainlit message, from outside any socket handler.

Herald builds the message's step itself and emits it, rather than through `cl.Message(...).send()`:
- `cl.Message.__init__` calls `time.sleep(0.001)` (to spread `created_at`), which blocks the whole
  replica for a millisecond per message: a thousand sessions would stall every user for a second;
- `send()` reads the session from a context variable, so each call needs a task with a context of its
  own, and a broadcast would build, encode and persist one message per session.
The step is the dict `cl.Message.to_dict()` gives (Chainlit's `StepDict`), and it goes out as the
same `new_message` event, so the frontend cannot tell the difference. As with `send()`, the step is
written through the app's data layer when there is one. Herald's messages are not added to
`cl.chat_context` (Chainlit's in-memory history of what the app itself said and heard).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import secrets
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from chainlit.config import config as chainlit_config
from chainlit.context import init_ws_context
from chainlit.data import get_data_layer
from chainlit.server import sio
from chainlit.session import WebsocketSession
from chainlit.step import StepDict
from chainlit.utils import utc_now

from herald.chat import ackable_events, notification_view, resumed_view
from herald.chat.ack_signature import ANY_USER, ack_key, signed_payload
from herald.chat.config import image_hosts
from herald.chat.notification_view import Acknowledged
from herald.chat.routing import is_live_broadcast
from herald.contract.events import Event

log = logging.getLogger(__name__)

# Every replica signs with the secret they share for logins (ack_signature.py); without one (no login),
# with a key of this process's own.
ACK_KEY = ack_key(os.environ.get("CHAINLIT_AUTH_SECRET") or secrets.token_hex(32))
# The socket.io room every connected Herald tab of this replica is in: a live broadcast is encoded once
# and sent to the room, not rendered once per session.
BROADCAST_ROOM = "herald:broadcast"
NO_THREAD = ""  # the thread of a live broadcast's step: it belongs to none
_persisting: set[asyncio.Task[Any]] = set()  # data layer writes in flight (the loop keeps weak refs)


def message_content(event: Event, acknowledged: Acknowledged | None = None) -> str:
    """Markdown with the severity and the title on top, then the body and links (notification_view.py)."""
    return notification_view.content(event, image_hosts(), acknowledged)


def message_metadata(event: Event, acknowledged: Acknowledged | None = None) -> dict[str, object]:
    return notification_view.metadata(event, acknowledged)


def is_live(session: WebsocketSession) -> bool:
    """Chainlit keeps a disconnected session until its timeout, and emits to it vanish silently."""
    return bool(sio.manager.is_connected(session.socket_id, "/"))


def message_id(event: Event, scope: str | None) -> str:
    """The same id each time an event is shown in one session (or written to one thread): Chainlit's
    frontend then updates the message it has instead of adding a second one, and a data layer
    overwrites its step. A live broadcast (scope None) has one id everywhere: it is never written to
    a thread, where ids must be unique."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"herald:{scope}:{event.id}" if scope else f"herald:{event.id}"))


def step(event: Event, step_id: str, thread_id: str, acknowledged: Acknowledged | None = None) -> StepDict:
    """The step `cl.Message(content, author=event.source, metadata=...).to_dict()` would give."""
    return assistant_step(step_id, thread_id, message_content(event, acknowledged), event.source,
                          message_metadata(event, acknowledged))


def assistant_step(step_id: str, thread_id: str, output: str, author: str, metadata: dict[str, Any]) -> StepDict:
    now = utc_now()
    return {
        "id": step_id, "threadId": thread_id, "parentId": None, "createdAt": now, "command": None,
        "modes": None, "start": now, "end": now, "output": output, "name": author, "type": "assistant_message",
        "language": None, "streaming": False, "isError": False, "waitForAnswer": False, "metadata": metadata,
        "tags": None,
    }


async def show(session: WebsocketSession, event: Event) -> None:
    """Show the event in one session (its tab), and write it to the session's thread, if it has one.
    A live broadcast shown again here (a replay) keeps the id it had in every tab, and no thread.
    A toast is only shown: it has no message to keep."""
    if event.display == "toast":
        await sio.emit("toast", _toast(event), to=session.socket_id)
        return
    live = is_live_broadcast(event)
    thread = NO_THREAD if live else session.thread_id
    step_id = message_id(event, None if live else session.id)
    user = session.user.identifier if session.user else ANY_USER
    acknowledged = ackable_events.acknowledged_by(event.id, user)
    message = await _renamed(step(event, step_id, thread, acknowledged))
    if thread and (data_layer := get_data_layer()):
        # In the session's Chainlit context, as send() would: the data layer may queue the write
        # until the user's first message (Chainlit creates the thread then).
        _persist(data_layer.create_step(dict(message)), event, chainlit_context(init_ws_context, session))
    await sio.emit("new_message", message, to=session.socket_id)  # what session.emit does
    await _emit_extras(event, step_id, thread, ANY_USER if live else user, acknowledged, to=session.socket_id)


async def show_to_all(event: Event) -> None:
    """A live broadcast: one step, encoded once, to every connected Herald tab of this replica."""
    if event.display == "toast":
        await sio.emit("toast", _toast(event), room=BROADCAST_ROOM)
        return
    step_id = message_id(event, None)
    message = await _renamed(step(event, step_id, NO_THREAD))
    await sio.emit("new_message", message, room=BROADCAST_ROOM)
    await _emit_extras(event, step_id, NO_THREAD, ANY_USER, None, room=BROADCAST_ROOM)


async def show_acknowledged(session: WebsocketSession, event: Event, acknowledged: Acknowledged) -> None:
    """Show the event again in a tab that shows it, as acknowledged, under the same message id (the
    frontend updates the message in place), without its ack buttons; and write that to its thread."""
    live = is_live_broadcast(event)
    thread = NO_THREAD if live else session.thread_id
    step_id = message_id(event, None if live else session.id)
    message = await _renamed(step(event, step_id, thread, acknowledged))
    if thread and (data_layer := get_data_layer()):
        _persist(data_layer.update_step(dict(message)), event, chainlit_context(init_ws_context, session))
    await sio.emit("update_message", message, to=session.socket_id)  # what emitter.update_step does
    await _emit_extras(event, step_id, thread, ANY_USER, acknowledged, to=session.socket_id)


async def _emit_extras(event: Event, step_id: str, thread: str, shown_to: str, acknowledged: Acknowledged | None,
                       **where: str) -> None:
    """The message's image element and ack buttons, as `cl.Message.send()` emits its elements and actions.
    The image is not written to the data layer: Chainlit's SQLAlchemy layer would fetch its URL from
    the server (its `create_element`); its URL is kept in the step's metadata instead."""
    for element in notification_view.image_elements(event, image_hosts(), step_id, thread):
        await sio.emit("element", element, **where)  # the frontend replaces an element with the same id
    ackable_events.remember(event)
    await _emit_buttons(notification_view.ack_actions(event, step_id, signer(shown_to)), acknowledged is None,
                        **where)


async def _emit_buttons(actions: list[dict[str, Any]], shown: bool, **where: str) -> None:
    for action in actions:
        # The frontend adds every action it is sent: remove first, so that showing a message again
        # (a replay, an acknowledgement) never doubles its buttons.
        await sio.emit("remove_action", {"id": action["id"]}, **where)
        if shown:
            await sio.emit("action", action, **where)


def signer(shown_to: str) -> notification_view.Signer:
    """Signs ack buttons shown to `shown_to` (a user id, or ANY_USER for a live broadcast)."""

    def sign(event_id: str, label: str) -> dict[str, str]:
        return signed_payload(ACK_KEY, event_id, shown_to, label)

    return sign


async def restore_extras(session: WebsocketSession, thread: dict[str, Any]) -> None:
    """A thread resumed from history: its Herald steps get back their image and (unless acknowledged)
    their ack buttons, which no data layer keeps. The images join the thread's elements, which the
    frontend takes from the resumed thread (it replaces its elements with them)."""
    if session.user is None:
        return
    for kept in thread.get("steps") or ():
        elements, actions = resumed_view.resumed_extras(kept, image_hosts(), signer(session.user.identifier))
        if event_id := resumed_view.step_metadata(kept).get("herald_event_id"):
            ackable_events.remember_resumed(session.id, str(event_id), kept)
        thread["elements"] = [*(thread.get("elements") or []), *elements]
        await _emit_buttons(actions, True, to=session.socket_id)


async def show_step_acknowledged(session: WebsocketSession, kept: dict[str, Any], acknowledged: Acknowledged) -> None:
    """A step the tab got back from history, shown as acknowledged (as `show_acknowledged` does for an event)."""
    assert session.user is not None
    _, actions = resumed_view.resumed_extras(kept, (), signer(session.user.identifier))
    message = resumed_view.acknowledged_step(kept, acknowledged)
    ackable_events.remember_resumed(session.id, str(message["metadata"]["herald_event_id"]), message)
    if message.get("threadId") and (data_layer := get_data_layer()):
        context = chainlit_context(init_ws_context, session)
        _persist(data_layer.update_step(message), str(message["metadata"]["herald_event_id"]), context)
    await sio.emit("update_message", message, to=session.socket_id)
    await _emit_buttons(actions, False, to=session.socket_id)


def _toast(event: Event) -> dict[str, str]:
    text, kind = notification_view.toast(event)
    return {"message": text, "type": kind}  # what emitter.send_toast emits


async def join_broadcasts(session: WebsocketSession) -> None:
    """Put the session's current socket in the broadcast room; socket.io takes it out on disconnect.
    A socket that is already gone has no room to join (socket.io would raise KeyError)."""
    if is_live(session):  # no await between the check and the join
        await sio.enter_room(session.socket_id, BROADCAST_ROOM)


async def _renamed(message: StepDict) -> StepDict:
    """The app's `@cl.author_rename`, as `send()` applies it."""
    if rename := chainlit_config.code.author_rename:
        message["name"] = await rename(message["name"])
    return message


def chainlit_context(init: Callable[..., object], *args: Any, **kwargs: Any) -> contextvars.Context:
    """A context in which Chainlit's `init_ws_context` or `init_http_context` has run: Chainlit's data
    layer reads the session from a context variable. Calls made in it cannot leak it elsewhere."""
    context = contextvars.copy_context()
    context.run(init, *args, **kwargs)
    return context


def _persist(write: Coroutine[Any, Any, Any], event: Event | str, context: contextvars.Context) -> None:
    # As cl.Message.send does: the write runs beside the emit and does not delay it.
    task = asyncio.create_task(write, context=context)
    _persisting.add(task)
    event_id = event if isinstance(event, str) else event.id
    task.add_done_callback(lambda done: _persisted(done, event_id))


def _persisted(task: asyncio.Task[Any], event_id: str) -> None:
    _persisting.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("writing event %s to its thread failed: %r", event_id, error)
