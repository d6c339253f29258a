"""The port of tabs.py on Chainlit 2.12: the one module that reaches into Chainlit and python-socketio.

Each name below is checked by tests/unit/test_chainlit_contract.py, whose failure names what changed.
Private or internal names, and why Herald touches them:
- `chainlit.server.sio.handlers["/"]`: its `connect`, `connection_successful` and `disconnect` are
  wrapped (`watch`). The app's `on_chat_start`/`on_chat_end` belong to the app, and Chainlit keeps
  one callback per hook. `connect` refuses ids Chainlit never makes (tab_ids.py) before a session is
  made; `connection_successful` (every connect and reconnect) reports after Chainlit's handler;
  `disconnect` (which may delete the session) reports before it.
- `chainlit.session.WebsocketSession.get(sid)` / `.get_by_id(session_id)` and a session's `id`, `user`,
  `thread_id`, `socket_id`: Chainlit's per-process registries of tabs; Herald keeps session ids, never
  the session objects or socket ids (a reconnect swaps the socket on the same session).
- `chainlit.server.sio.manager.is_connected(sid, "/")`: Chainlit keeps a dropped session until its
  timeout, and emits to it vanish silently.
- `sio.emit("new_message", step, to=sid | room=...)` with a step built by hand (render.py says why), as
  `cl.Message.send` does; `sio.enter_room` for the broadcast room; `sio.disconnect` to close a refused tab.
- `chainlit.context.init_ws_context(session)` / `init_http_context(thread_id=...)`: the data layer reads
  the session from a context variable; each write runs in a context of its own, so it cannot leak.
- `chainlit.data.get_data_layer()` and its `get_thread` / `create_step`: threads, when the app has them.
- `WebsocketSession.has_first_interaction` and `chainlit.context.context.emitter.init_thread(name)`:
  Chainlit makes a session's thread on the user's first message and until then only queues the
  session's data layer writes (`queue_until_user_message`, chainlit/data/utils.py), so a notification
  shown before the user typed would be lost on reload. Herald starts the thread itself as a first
  message would, setting the flag as Chainlit's own handlers do (chainlit/emitter.py, process_message);
  `init_thread` also writes what was queued, and tells the frontend, which then resumes it on reload.
- `chainlit.config.config.code.author_rename`: applied as `send()` applies it.
- `config.project.session_timeout`: set from HERALD_SESSION_TIMEOUT_SECONDS (`session_timeout`).
- `chainlit.server.app.router.lifespan_context`: swapped so Herald runs inside Chainlit's server
  lifespan under `chainlit run` (`run_within_chainlit`).
- `socketio.exceptions.ConnectionRefusedError`: how a connect handler refuses a socket.
- Rich notifications (notification_view.py says what they look like), emitted after the message as
  `cl.Message.send()` emits its elements and actions: the socket events `element` (an image, as
  `cl.Image.to_dict()`), `action` (an ack button, as `cl.Action.to_dict()`), `remove_action` (the
  frontend adds every action it is sent, so a message shown again first loses its buttons),
  `update_message` (a message shown acknowledged, merged into the one the frontend has, as
  `emitter.update_step` does) and `toast` (`{"message", "type"}`, as `emitter.send_toast` does); the
  data layer's `update_step`, for an acknowledged message in a thread.
- `chainlit.action_callback(name)` and `config.code.action_callbacks`: Herald answers its own action
  (`herald_ack`) beside the app's callbacks; Chainlit has no call to remove one, so `watch_acks` pops it
  from that dict. A click is `POST /project/action` (Chainlit's server.py), which runs the callback in
  the clicking session's context (`chainlit.context.context.session`) with a `chainlit.action.Action`
  whose `payload` the browser sent back.
- A thread resumed from history: Chainlit's `connection_successful` handler calls the app's
  `on_chat_resume(thread)` and then sends the thread's `elements` to the frontend, which replaces its
  element list with them; `restore_notifications` adds Herald's images there.
The proof that a tab read an emit reads python-engineio's internals, in its own adapter (socket_liveness.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any

from chainlit import action_callback
from chainlit.action import Action
from chainlit.config import config as chainlit_config
from chainlit.context import context as chainlit_context
from chainlit.context import init_http_context, init_ws_context
from chainlit.data import get_data_layer
from chainlit.data.base import BaseDataLayer
from chainlit.server import app, sio
from chainlit.session import WebsocketSession
from fastapi import FastAPI
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from herald.chat import notification_view, render, resumed_view, socket_liveness
from herald.chat.ack_signature import ANY_USER, signer
from herald.chat.config import image_hosts
from herald.chat.notification_view import ACK_ACTION, Acknowledged, ToastType
from herald.chat.render import Step
from herald.chat.routing import is_live_broadcast
from herald.chat.tab_ids import TabRefused, refusal_reason
from herald.chat.tabs import AckClick, ClickAnswer, OnAckClick, OnProof, OnResumed, Tab, TabCallback
from herald.contract.events import Event

log = logging.getLogger(__name__)

# The socket.io room every connected Herald tab of this replica is in: a live broadcast is encoded once
# and sent to the room, not rendered once per session.
BROADCAST_ROOM = "herald:broadcast"
NO_THREAD = ""  # the thread of a live broadcast's step: it belongs to none
NAMESPACE = "/"
# The loggers Chainlit's server logs through, with handlers of their own under `chainlit run`.
SERVER_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
# The running tabs, for `restore_notifications`, which the app calls in its `on_chat_resume`: set only
# while Chainlit's `connection_successful` handler runs (wrapped by `watch`), which calls that hook.
_RESUMING: ContextVar[ChainlitTabs] = ContextVar("herald_resuming")


class ChainlitTabs:
    """Tabs (tabs.py) on Chainlit's socket.io server in this process; one per running delivery.
    `ack_key` signs ack buttons (ack_signature.py)."""

    def __init__(self, ack_key: bytes) -> None:
        self._persisting: set[asyncio.Task[Any]] = set()  # data layer writes in flight (the loop keeps weak refs)
        self._ack_key = ack_key
        self._on_resumed: OnResumed | None = None
        socket_liveness.install()

    def watch(self, on_connected: TabCallback, on_disconnected: TabCallback) -> Callable[[], None]:
        handlers = sio.handlers[NAMESPACE]
        chainlit_connect = handlers["connect"]
        chainlit_connected = handlers["connection_successful"]
        chainlit_disconnect = handlers["disconnect"]

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
            if (reason := refusal_reason(auth)) is not None:
                log.warning("refusing a socket: %s", reason)
                raise SocketRefused("invalid session id")  # the client gets a connect error
            return await chainlit_connect(sid, environ, auth)

        async def connection_successful(sid: str) -> Any:
            resuming = _RESUMING.set(self)
            try:
                result = await chainlit_connected(sid)
            finally:
                _RESUMING.reset(resuming)
            if (tab := _tab(WebsocketSession.get(sid))) is not None:
                try:
                    await on_connected(tab)
                except TabRefused as refused:
                    log.warning("refusing session %s of %s: %s", tab.id, tab.user, refused)
                    await sio.disconnect(sid)
            return result

        async def disconnect(sid: str, reason: Any = None) -> Any:
            if (tab := _tab(WebsocketSession.get(sid))) is not None:
                await on_disconnected(tab)
            return await chainlit_disconnect(sid)

        handlers.update(connect=connect, connection_successful=connection_successful, disconnect=disconnect)

        def restore() -> None:
            handlers.update(connect=chainlit_connect, connection_successful=chainlit_connected,
                            disconnect=chainlit_disconnect)

        return restore

    def socket(self, session_id: str) -> str | None:
        session: WebsocketSession | None = WebsocketSession.get_by_id(session_id)
        return None if session is None else session.socket_id

    def is_live(self, session_id: str) -> bool:
        session = WebsocketSession.get_by_id(session_id)
        return session is not None and bool(sio.manager.is_connected(session.socket_id, NAMESPACE))

    async def show(self, session_id: str, event: Event, acknowledged: Acknowledged | None = None) -> None:
        """A live broadcast shown again here (a replay) keeps the id it had in every tab, and no thread.
        A toast is only shown: it has no message to keep."""
        session = _session(session_id)
        if event.display == "toast":
            await sio.emit("toast", _toast(*notification_view.toast(event)), to=session.socket_id)
            return
        live = is_live_broadcast(event)
        thread = NO_THREAD if live else session.thread_id
        step_id = render.message_id(event, None if live else session.id)
        message = await _renamed(render.step(event, step_id, thread, acknowledged))
        if thread and (data_layer := get_data_layer()):
            # In the session's Chainlit context, as send() would; the thread is started if the user has not.
            self._persist(keep_in_thread(data_layer, session, dict(message), event), event.id,
                          _context(init_ws_context, session))
        await sio.emit("new_message", message, to=session.socket_id)  # what session.emit does
        shown_to = session.user.identifier if session.user and not live else ANY_USER
        await self._emit_extras(event, step_id, thread, shown_to, acknowledged is None, to=session.socket_id)

    async def show_acknowledged(self, session_id: str, event: Event, acknowledged: Acknowledged) -> None:
        session = _session(session_id)
        live = is_live_broadcast(event)
        thread = NO_THREAD if live else session.thread_id
        step_id = render.message_id(event, None if live else session.id)
        message = await _renamed(render.step(event, step_id, thread, acknowledged))
        if thread and (data_layer := get_data_layer()):
            self._persist(data_layer.update_step(dict(message)), event.id, _context(init_ws_context, session))
        await sio.emit("update_message", message, to=session.socket_id)  # what emitter.update_step does
        await self._emit_extras(event, step_id, thread, ANY_USER, False, to=session.socket_id)

    async def show_step_acknowledged(self, session_id: str, kept: Step, acknowledged: Acknowledged) -> None:
        session = _session(session_id)
        _, actions = resumed_view.resumed_extras(kept, (), signer(self._ack_key, ANY_USER))  # only their ids
        message = resumed_view.acknowledged_step(kept, acknowledged)
        if message.get("threadId") and (data_layer := get_data_layer()):
            self._persist(data_layer.update_step(message), str(message["metadata"].get("herald_event_id")),
                          _context(init_ws_context, session))
        await sio.emit("update_message", message, to=session.socket_id)
        await _emit_buttons(actions, False, to=session.socket_id)

    async def toast(self, session_id: str, text: str, kind: ToastType) -> None:
        if (session := WebsocketSession.get_by_id(session_id)) is not None:
            await sio.emit("toast", _toast(text, kind), to=session.socket_id)

    def watch_acks(self, on_click: OnAckClick, on_resumed: OnResumed) -> Callable[[], None]:
        async def clicked(action: Action) -> ClickAnswer:
            session = chainlit_context.session  # the clicking tab's (Chainlit's /project/action sets it)
            user = session.user.identifier if session.user else None
            return await on_click(AckClick(session.id, user, session.thread_id or None, action.payload))

        action_callback(ACK_ACTION)(clicked)
        self._on_resumed = on_resumed

        def stop() -> None:
            chainlit_config.code.action_callbacks.pop(ACK_ACTION, None)
            self._on_resumed = None

        return stop

    async def restore(self, session: WebsocketSession, thread: dict[str, Any]) -> None:
        """A thread resumed from history: its Herald steps get back their image and (unless acknowledged)
        their ack buttons, which no data layer keeps. The images join the thread's elements, which the
        frontend takes from the resumed thread (it replaces its elements with them)."""
        if session.user is None:
            return
        sign = signer(self._ack_key, session.user.identifier)
        for kept in thread.get("steps") or ():
            elements, actions = resumed_view.resumed_extras(kept, image_hosts(), sign)
            event_id = resumed_view.step_metadata(kept).get("herald_event_id")
            if event_id and self._on_resumed is not None:
                self._on_resumed(session.id, str(event_id), kept)
            thread["elements"] = [*(thread.get("elements") or []), *elements]
            await _emit_buttons(actions, True, to=session.socket_id)

    async def _emit_extras(self, event: Event, step_id: str, thread: str, shown_to: str, with_buttons: bool,
                           **where: str) -> None:
        """The message's image element and ack buttons, as `cl.Message.send()` emits its elements and actions.
        The image is not written to the data layer: Chainlit's SQLAlchemy layer would fetch its URL from
        the server (its `create_element`); its URL is kept in the step's metadata instead."""
        for element in notification_view.image_elements(event, image_hosts(), step_id, thread):
            await sio.emit("element", element, **where)  # the frontend replaces an element with the same id
        actions = notification_view.ack_actions(event, step_id, signer(self._ack_key, shown_to))
        await _emit_buttons(actions, with_buttons, **where)

    def emitted(self, socket: str, on_proof: OnProof) -> Coroutine[Any, Any, int | None]:
        # socket_liveness's coroutine itself, not one awaiting it: a broadcast calls this once per tab.
        return socket_liveness.emitted(sio, socket, on_proof)

    async def join_broadcasts(self, session_id: str) -> None:
        """socket.io takes the socket out of the room on disconnect. A socket that is already gone has
        no room to join (socket.io would raise KeyError)."""
        session = WebsocketSession.get_by_id(session_id)
        if session is not None and sio.manager.is_connected(session.socket_id, NAMESPACE):  # no await between
            await sio.enter_room(session.socket_id, BROADCAST_ROOM)

    async def show_to_all(self, event: Event) -> None:
        if event.display == "toast":
            await sio.emit("toast", _toast(*notification_view.toast(event)), room=BROADCAST_ROOM)
            return
        step_id = render.message_id(event, None)
        message = await _renamed(render.step(event, step_id, NO_THREAD))
        await sio.emit("new_message", message, room=BROADCAST_ROOM)
        await self._emit_extras(event, step_id, NO_THREAD, ANY_USER, True, room=BROADCAST_ROOM)

    @property
    def keeps_threads(self) -> bool:
        return get_data_layer() is not None

    async def thread_owner(self, thread_id: str) -> str | None:
        data_layer = get_data_layer()
        thread = await data_layer.get_thread(thread_id) if data_layer is not None else None
        return thread.get("userIdentifier") if thread else None

    async def write_to_thread(self, thread_id: str, event: Event) -> None:
        data_layer = get_data_layer()
        assert data_layer is not None, "write_to_thread without a data layer"
        # A redelivered event gets the same step id, so the data layer overwrites instead of adding.
        step = render.step(event, render.message_id(event, f"thread:{thread_id}"), thread_id)
        await asyncio.create_task(data_layer.create_step(dict(step)),
                                  context=_context(init_http_context, thread_id=thread_id))

    def _persist(self, write: Coroutine[Any, Any, Any], event_id: str, context: contextvars.Context) -> None:
        # As cl.Message.send does: the write runs beside the emit and does not delay it.
        task = asyncio.create_task(write, context=context)
        self._persisting.add(task)
        task.add_done_callback(lambda done: self._persisted(done, event_id))

    def _persisted(self, task: asyncio.Task[Any], event_id: str) -> None:
        self._persisting.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("writing event %s to its thread failed: %r", event_id, error)


async def restore_notifications(thread: Any) -> None:
    """Call in the app's `@cl.on_chat_resume`, with the thread it was given (this adds the images to
    it): Chainlit's data layers keep a message's text and metadata but not its action buttons, and
    Herald does not write its images there. The thread's Herald messages get back their image and,
    unless acknowledged, their ack buttons; a click on one is shown as acknowledged in this tab too.

        @cl.on_chat_resume
        async def resume(thread: ThreadDict) -> None:
            await restore_notifications(thread)

    Does nothing while Herald's delivery does not run."""
    tabs = _RESUMING.get(None)
    session = chainlit_context.session
    if tabs is not None and isinstance(session, WebsocketSession):  # a resume always comes through a socket
        await tabs.restore(session, thread)


async def keep_in_thread(data_layer: BaseDataLayer, session: WebsocketSession, step: dict[str, Any],
                         event: Event) -> None:
    """Write `step` to the session's thread, starting the thread first if the user has not (see the
    module docstring). Runs in the session's Chainlit context, as the emitter is read from it."""
    if not session.has_first_interaction:
        session.has_first_interaction = True  # before any await: the next event's write must not start it again
        await chainlit_context.emitter.init_thread(render.thread_name(event))
    await data_layer.create_step(step)


def _session(session_id: str) -> WebsocketSession:
    session: WebsocketSession | None = WebsocketSession.get_by_id(session_id)
    if session is None:
        raise LookupError(f"Chainlit has no session {session_id}")
    return session


async def _emit_buttons(actions: list[dict[str, Any]], shown: bool, **where: str) -> None:
    for action in actions:
        # The frontend adds every action it is sent: remove first, so that showing a message again
        # (a replay, an acknowledgement) never doubles its buttons.
        await sio.emit("remove_action", {"id": action["id"]}, **where)
        if shown:
            await sio.emit("action", action, **where)


def _toast(text: str, kind: ToastType) -> dict[str, str]:
    return {"message": text, "type": kind}  # what emitter.send_toast emits


def _tab(session: WebsocketSession | None) -> Tab | None:
    if session is None or session.user is None:
        return None
    return Tab(session.id, session.user.identifier, session.thread_id)


async def _renamed(message: Step) -> Step:
    """The app's `@cl.author_rename`, as `send()` applies it."""
    if rename := chainlit_config.code.author_rename:
        message["name"] = await rename(message["name"])
    return message


def _context(init: Callable[..., object], *args: Any, **kwargs: Any) -> contextvars.Context:
    """A context in which Chainlit's `init_ws_context` or `init_http_context` has run. Calls made in it
    cannot leak it elsewhere."""
    context = contextvars.copy_context()
    context.run(init, *args, **kwargs)
    return context


def session_timeout(wanted: int | None) -> int:
    """Chainlit's session timeout in seconds, set to `wanted` first when given."""
    if wanted:
        chainlit_config.project.session_timeout = wanted
    return int(chainlit_config.project.session_timeout)


def run_within_chainlit(running: Callable[[], AbstractAsyncContextManager[object]]) -> FastAPI:
    """Enter `running()` for as long as Chainlit's server runs (under `chainlit run`); Chainlit's app."""
    chainlit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(server: object) -> AsyncIterator[object]:
        # Chainlit's lifespan is the outer one: its teardown ends the process with os._exit.
        async with chainlit_lifespan(server) as state, running():
            yield state

    app.router.lifespan_context = lifespan  # type: ignore[assignment]
    return app
