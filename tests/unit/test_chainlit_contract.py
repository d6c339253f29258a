"""What Herald relies on in the installed Chainlit and python-socketio, checked without running
Chainlit's server: every name services/chat/chainlit_tabs.py lists in its docstring.
- render.py: the step Herald builds by hand (instead of constructing `cl.Message`, whose constructor
  sleeps on the event loop) is the dict `cl.Message(...).to_dict()` gives, key for key, each value of the
  type Chainlit's `StepDict` declares, its times stamped as Chainlit stamps them;
- the socket.io handlers the adapter wraps exist, take the arguments it passes on, and are put back;
- the session registries, the socket.io server's calls, the contexts, the data layer, the config
  values and the app lifespan the adapter uses exist with the shapes it uses;
- a rich notification's socket events (`action`, `remove_action`, `update_message`, `toast`) carry
  what Chainlit's own calls emit; an action click runs the callback kept in
  `config.code.action_callbacks`; a resumed thread reaches the frontend after the app's
  `on_chat_resume` (restore_notifications).

When an upgrade changes one, this fails and names it, before the frontend silently renders Herald's
messages differently, or a tab's connect stops reaching Herald."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import re
import types
import typing
import uuid
from typing import Any

import chainlit as cl
import chainlit.server
import chainlit.socket
import pytest
import socketio.exceptions
from chainlit.config import config
from chainlit.context import context_var, init_http_context, init_ws_context
from chainlit.data import get_data_layer
from chainlit.data.base import BaseDataLayer
from chainlit.server import app, sio
from chainlit.session import WebsocketSession
from chainlit.step import StepDict
from chainlit.types import ThreadDict
from chainlit.utils import utc_now

from herald.chat import notification_view, render, socket_liveness
from herald.chat.ack_signature import signer
from herald.chat.chainlit_tabs import ChainlitTabs
from herald.chat.notification_view import ACK_ACTION
from herald.chat.tabs import AckClick, ClickAnswer, Tab
from herald.contract.events import EventRequest

pytestmark = pytest.mark.unit


def _instance_of(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_instance_of(value, member) for member in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    return isinstance(value, origin or hint)


async def test_heralds_step_has_the_keys_and_types_of_a_chainlit_message() -> None:
    init_http_context()  # cl.Message reads the context in its constructor; this task's own, then gone
    chainlit_step = cl.Message(content="hello", author="source", metadata={"herald_event_id": "e"}).to_dict()
    event = EventRequest.model_validate({"target": {"user": "alice"}, "title": "t", "body": "b"}).to_event("src")
    herald_step = render.step(event, "step-id", "thread-id")

    assert set(herald_step) == set(chainlit_step), (
        f"Chainlit's step has {sorted(set(chainlit_step) - set(herald_step))} that Herald's lacks, "
        f"Herald's has {sorted(set(herald_step) - set(chainlit_step))} that Chainlit's lacks "
        "(render.assistant_step)")
    declared = typing.get_type_hints(StepDict)
    wrong = {key: (type(value).__name__, declared.get(key)) for key, value in herald_step.items()
             if key not in declared or not _instance_of(value, declared[key])}
    assert not wrong, f"keys of Herald's step whose value is not of the type Chainlit's StepDict declares: {wrong}"
    # Where Chainlit has a value before sending, Herald's is of the same type (the times are set by send()).
    differ = {key for key, value in chainlit_step.items()
              if value is not None and type(value) is not type(herald_step[key])}
    assert not differ, f"Herald's step differs in type from Chainlit's message at {sorted(differ)}"
    assert herald_step["type"] == chainlit_step["type"] == "assistant_message"


# What chainlit_tabs.py calls each wrapped handler with.
WRAPPED_HANDLERS = {"connect": ["sid", "environ", "auth"], "connection_successful": ["sid"], "disconnect": ["sid"]}


def test_the_socket_handlers_herald_wraps_take_what_it_passes_on() -> None:
    handlers = sio.handlers["/"]
    missing = sorted(set(WRAPPED_HANDLERS) - set(handlers))
    assert not missing, f"Chainlit registers no socket.io handler {missing} (services/chat/chainlit_tabs.py wraps it)"
    for name, arguments in WRAPPED_HANDLERS.items():
        signature = inspect.signature(handlers[name])
        assert inspect.iscoroutinefunction(handlers[name]), f"Chainlit's {name} handler is no longer a coroutine"
        try:
            signature.bind(*arguments)
        except TypeError as exc:
            raise AssertionError(f"Chainlit's {name} handler{signature} does not take {arguments}: {exc}") from None


async def test_watching_wraps_the_handlers_and_puts_chainlits_back() -> None:
    handlers = sio.handlers["/"]
    chainlit_handlers = {name: handlers[name] for name in WRAPPED_HANDLERS}
    was_installed = bool(socket_liveness._installed)

    async def noticed(tab: Tab) -> None:
        pass

    stop = ChainlitTabs(b"key").watch(noticed, noticed)
    try:
        wrapped = {name for name, handler in chainlit_handlers.items() if handlers[name] is not handler}
        assert wrapped == set(WRAPPED_HANDLERS), f"Herald's wrappers did not replace {set(WRAPPED_HANDLERS) - wrapped}"
    finally:
        stop()
        if not was_installed:
            socket_liveness.uninstall()
    assert {name: handlers[name] for name in WRAPPED_HANDLERS} == chainlit_handlers


def _takes(where: str, function: Any, *args: Any, **kwargs: Any) -> None:
    assert callable(function), f"{where} is gone (services/chat/chainlit_tabs.py calls it)"
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except TypeError as exc:
        raise AssertionError(f"{where}{inspect.signature(function)} no longer takes {args} {kwargs}: {exc}") from None


def _session() -> WebsocketSession:
    """A session as Chainlit makes one for a tab's socket (registered: delete() it)."""
    return WebsocketSession(id=str(uuid.uuid4()), socket_id=str(uuid.uuid4()), emit=lambda *_: None,
                            emit_call=lambda *_: None, user_env={}, client_type="webapp",
                            thread_id=str(uuid.uuid4()), user=cl.User(identifier="alice"))


async def test_sessions_are_found_by_socket_and_by_id_and_keep_their_id_across_a_reconnect() -> None:
    _takes("chainlit.session.WebsocketSession.get", getattr(WebsocketSession, "get", None), "sid")
    _takes("chainlit.session.WebsocketSession.get_by_id", getattr(WebsocketSession, "get_by_id", None), "id")
    session = _session()
    session_id, thread_id, first_socket, second_socket = session.id, session.thread_id, session.socket_id, "new"
    try:
        assert WebsocketSession.get_by_id(session_id) is session, "WebsocketSession.get_by_id does not find a session"
        assert WebsocketSession.get(first_socket) is session, "WebsocketSession.get does not find a session by socket"
        read = (session.id, session.socket_id, session.thread_id, session.user.identifier)
        assert read == (session_id, first_socket, thread_id, "alice"), \
            "a WebsocketSession's id, socket_id, thread_id or user.identifier changed"
        session.restore(second_socket)  # what Chainlit does when a tab comes back under its session id
        assert WebsocketSession.get_by_id(session_id) is session and session.socket_id == second_socket, \
            "a reconnect no longer swaps the socket of the same WebsocketSession (Herald keeps session ids)"
    finally:
        await session.delete()
    assert WebsocketSession.get_by_id(session_id) is None


def test_the_socketio_calls_the_adapter_makes_take_its_arguments() -> None:
    _takes("chainlit.server.sio.emit", sio.emit, "new_message", {}, to="sid")
    _takes("chainlit.server.sio.emit", sio.emit, "new_message", {}, room="room")
    _takes("chainlit.server.sio.enter_room", sio.enter_room, "sid", "room")
    _takes("chainlit.server.sio.disconnect", sio.disconnect, "sid")
    _takes("chainlit.server.sio.manager.is_connected", getattr(sio.manager, "is_connected", None), "sid", "/")
    assert sio.manager.is_connected(str(uuid.uuid4()), "/") is False, \
        "sio.manager.is_connected no longer answers False for an unknown socket"
    assert issubclass(socketio.exceptions.ConnectionRefusedError, Exception), \
        "socketio.exceptions.ConnectionRefusedError is gone (a connect handler refuses a socket with it)"


async def test_the_contexts_the_data_layer_writes_in_are_made_as_the_adapter_makes_them() -> None:
    _takes("chainlit.context.init_ws_context", init_ws_context, object())
    _takes("chainlit.context.init_http_context", init_http_context, thread_id="t")
    thread_id = str(uuid.uuid4())
    in_thread = contextvars.copy_context()
    in_thread.run(init_http_context, thread_id=thread_id)
    assert in_thread.run(lambda: context_var.get().session.thread_id) == thread_id, \
        "init_http_context(thread_id=...) no longer sets the context's session thread"
    session = _session()
    try:
        in_session = contextvars.copy_context()
        in_session.run(init_ws_context, session)  # the session object: a string is taken as a socket id
        assert in_session.run(lambda: context_var.get().session) is session, \
            "init_ws_context(session) no longer makes the session the context's"
    finally:
        await session.delete()


def test_the_data_layer_is_asked_and_written_as_the_adapter_does() -> None:
    _takes("chainlit.data.get_data_layer", get_data_layer)
    _takes("chainlit.data.base.BaseDataLayer.get_thread", BaseDataLayer.get_thread, object(), "thread")
    _takes("chainlit.data.base.BaseDataLayer.create_step", BaseDataLayer.create_step, object(), {})
    assert "userIdentifier" in ThreadDict.__annotations__, \
        "chainlit.types.ThreadDict has no userIdentifier (the adapter reads a thread's owner from it)"


def test_the_config_values_and_the_lifespan_the_adapter_sets_exist() -> None:
    timeout = config.project.session_timeout
    assert isinstance(timeout, int), "chainlit config.project.session_timeout is no longer an int"
    try:
        config.project.session_timeout = timeout + 1
        assert config.project.session_timeout == timeout + 1, "config.project.session_timeout cannot be set"
    finally:
        config.project.session_timeout = timeout
    assert hasattr(config.code, "author_rename"), "chainlit config.code.author_rename is gone"
    lifespan = getattr(app.router, "lifespan_context", None)
    assert callable(lifespan), "chainlit.server.app.router.lifespan_context is gone (attach() runs Herald in it)"


def test_herald_stamps_a_step_as_chainlit_does() -> None:
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
    assert stamp.fullmatch(utc_now()), f"chainlit.utils.utc_now gives {utc_now()!r} now (render.utc_now copies it)"
    assert stamp.fullmatch(render.utc_now())


async def test_the_socket_events_of_a_rich_notification_are_the_ones_chainlit_emits() -> None:
    """chainlit_tabs.py emits `element`, `action`, `remove_action`, `update_message` and `toast` by hand,
    with the payloads Chainlit's own calls give them (the frontend's side: test_chainlit_frontend_contract.py)."""
    sent: list[tuple[str, Any]] = []

    async def emit(event: str, data: Any) -> None:
        sent.append((event, data))

    session = WebsocketSession(id=str(uuid.uuid4()), socket_id=str(uuid.uuid4()), emit=emit,
                               emit_call=lambda *_: None, user_env={}, client_type="webapp", thread_id="t",
                               user=cl.User(identifier="alice"))
    try:
        in_session = contextvars.copy_context()
        in_session.run(init_ws_context, session)
        event = EventRequest.model_validate({"target": {"user": "alice"}, "body": "b",
                                             "actions": [{"type": "ack", "label": "Seen"}]}).to_event("src")
        button = notification_view.ack_actions(event, "message", signer(b"key", "alice"))[0]
        action = cl.Action(**button)  # as Chainlit's /project/action makes it from what the browser sends back
        assert action.payload == button["payload"], "cl.Action no longer keeps the payload it is given"
        step = render.step(event, "message", "t")
        image = notification_view.image_element("https://img.example/a.png", "a", "message", "t")

        async def chainlit_calls() -> None:
            emitter = context_var.get().emitter
            await emitter.send_element(image)  # type: ignore[arg-type]
            await action.send(for_id="message")
            await action.remove()
            await emitter.update_step(step)  # type: ignore[arg-type]
            await emitter.send_toast("note", "error")

        await asyncio.create_task(chainlit_calls(), context=in_session)
    finally:
        await session.delete()
    assert [name for name, _ in sent] == ["element", "action", "remove_action", "update_message", "toast"], \
        f"Chainlit now emits {[name for name, _ in sent]} for an element, an action, its removal, a step update " \
        "and a toast"
    assert sent[0][1] is image, "emitter.send_element no longer emits the element as it is"
    assert sent[1][1] == button, "cl.Action.to_dict() differs from Herald's ack button (notification_view.ack_buttons)"
    assert sent[2][1]["id"] == button["id"], "remove_action no longer names the action by its id"
    assert sent[3][1] is step, "emitter.update_step no longer emits the step as it is"
    assert sent[4][1] == {"message": "note", "type": "error"}, f"a toast is emitted as {sent[4][1]} now"


def test_an_action_click_runs_the_callback_chainlit_keeps_under_its_name() -> None:
    # Chainlit's own router (it joins the app when the server starts).
    routes = {(getattr(route, "path", None), method) for route in chainlit.server.router.routes
              for method in getattr(route, "methods", None) or ()}
    assert ("/project/action", "POST") in routes, "Chainlit's POST /project/action is gone (an ack click is one)"
    assert isinstance(config.code.action_callbacks, dict), \
        "chainlit config.code.action_callbacks is no longer a dict (watch_acks removes Herald's callback from it)"
    _takes("chainlit.action_callback", cl.action_callback, "name")
    _takes("chainlit.data.base.BaseDataLayer.update_step", BaseDataLayer.update_step, object(), {})

    async def on_click(click: AckClick) -> ClickAnswer:
        return "refused"

    had = dict(config.code.action_callbacks)
    was_installed = bool(socket_liveness._installed)
    stop = ChainlitTabs(b"key").watch_acks(on_click, lambda *_: None)
    try:
        assert ACK_ACTION in config.code.action_callbacks, \
            "cl.action_callback no longer registers in config.code.action_callbacks"
    finally:
        stop()
        if not was_installed:
            socket_liveness.uninstall()
    assert config.code.action_callbacks == had, "watch_acks did not put Chainlit's action callbacks back"


def test_a_resumed_threads_elements_go_to_the_frontend_after_the_apps_on_chat_resume() -> None:
    source = inspect.getsource(chainlit.socket.connection_successful)
    resume, sent = source.find("config.code.on_chat_resume(thread)"), source.find("emitter.resume_thread(thread)")
    assert 0 <= resume < sent, ("Chainlit's connection_successful no longer calls on_chat_resume(thread) before it "
                                "sends the thread to the frontend: restore_notifications adds its images too late")
