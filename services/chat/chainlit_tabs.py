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
The proof that a tab read an emit reads python-engineio's internals, in its own adapter (socket_liveness.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from chainlit.config import config as chainlit_config
from chainlit.context import context as chainlit_context
from chainlit.context import init_http_context, init_ws_context
from chainlit.data import get_data_layer
from chainlit.data.base import BaseDataLayer
from chainlit.server import app, sio
from chainlit.session import WebsocketSession
from fastapi import FastAPI
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from herald.chat import render, socket_liveness
from herald.chat.render import Step
from herald.chat.routing import is_live_broadcast
from herald.chat.tab_ids import TabRefused, refusal_reason
from herald.chat.tabs import OnProof, Tab, TabCallback
from herald.contract.events import Event

log = logging.getLogger(__name__)

# The socket.io room every connected Herald tab of this replica is in: a live broadcast is encoded once
# and sent to the room, not rendered once per session.
BROADCAST_ROOM = "herald:broadcast"
NO_THREAD = ""  # the thread of a live broadcast's step: it belongs to none
NAMESPACE = "/"
# The loggers Chainlit's server logs through, with handlers of their own under `chainlit run`.
SERVER_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


class ChainlitTabs:
    """Tabs (tabs.py) on Chainlit's socket.io server in this process; one per running delivery."""

    def __init__(self) -> None:
        self._persisting: set[asyncio.Task[Any]] = set()  # data layer writes in flight (the loop keeps weak refs)
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
            result = await chainlit_connected(sid)
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

    async def show(self, session_id: str, event: Event) -> None:
        """A live broadcast shown again here (a replay) keeps the id it had in every tab, and no thread."""
        session = WebsocketSession.get_by_id(session_id)
        if session is None:
            raise LookupError(f"Chainlit has no session {session_id}")
        live = is_live_broadcast(event)
        thread = NO_THREAD if live else session.thread_id
        message = await _renamed(render.step(event, render.message_id(event, None if live else session.id), thread))
        if thread and (data_layer := get_data_layer()):
            # In the session's Chainlit context, as send() would; the thread is started if the user has not.
            self._persist(keep_in_thread(data_layer, session, dict(message), event), event,
                          _context(init_ws_context, session))
        await sio.emit("new_message", message, to=session.socket_id)  # what session.emit does

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
        message = await _renamed(render.step(event, render.message_id(event, None), NO_THREAD))
        await sio.emit("new_message", message, room=BROADCAST_ROOM)

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

    def _persist(self, write: Coroutine[Any, Any, Any], event: Event, context: contextvars.Context) -> None:
        # As cl.Message.send does: the write runs beside the emit and does not delay it.
        task = asyncio.create_task(write, context=context)
        self._persisting.add(task)
        task.add_done_callback(lambda done: self._persisted(done, event))

    def _persisted(self, task: asyncio.Task[Any], event: Event) -> None:
        self._persisting.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("writing event %s to its thread failed: %r", event.id, error)


async def keep_in_thread(data_layer: BaseDataLayer, session: WebsocketSession, step: dict[str, Any],
                         event: Event) -> None:
    """Write `step` to the session's thread, starting the thread first if the user has not (see the
    module docstring). Runs in the session's Chainlit context, as the emitter is read from it."""
    if not session.has_first_interaction:
        session.has_first_interaction = True  # before any await: the next event's write must not start it again
        await chainlit_context.emitter.init_thread(render.thread_name(event))
    await data_layer.create_step(step)


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
