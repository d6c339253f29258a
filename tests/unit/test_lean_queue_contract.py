"""What services/chat/lean_queue.py relies on in the installed uvicorn and python-engineio, checked
without serving: where each makes a connection's queue (so that the lean one replaces it), and that
every method each calls on that queue is one LeanQueue has. When an upgrade changes one, this fails and
names it, before a tab's websocket or engine.io socket stalls on a method LeanQueue lacks."""

from __future__ import annotations

import asyncio
import inspect
import re
from types import ModuleType

import engineio
import engineio.async_socket
import pytest
import uvicorn.protocols.websockets.wsproto_impl as wsproto_impl
from uvicorn.config import Config
from uvicorn.server import ServerState

from herald.chat.lean_queue import LeanQueue, LeanWSProtocol, lean_engineio_queues

pytestmark = pytest.mark.unit


def _queue_methods(module: ModuleType) -> set[str]:
    """The names a module's code calls on `self.queue`."""
    return set(re.findall(r"self\.queue\.(\w+)", inspect.getsource(module)))


async def _app(scope: object, receive: object, send: object) -> None:
    return None


def test_uvicorns_wsproto_protocol_keeps_its_event_queue_in_self_queue() -> None:
    assert hasattr(wsproto_impl, "WSProtocol"), "uvicorn.protocols.websockets.wsproto_impl.WSProtocol is gone"
    parameters = list(inspect.signature(wsproto_impl.WSProtocol.__init__).parameters)
    assert parameters[:4] == ["self", "config", "server_state", "app_state"], (
        f"uvicorn's WSProtocol.__init__ takes {parameters} now (LeanWSProtocol passes them on)")
    config = Config(_app, ws=LeanWSProtocol)
    config.load()
    assert config.ws_protocol_class is LeanWSProtocol, "uvicorn.Config(ws=<a class>) no longer serves with that class"
    loop = asyncio.new_event_loop()
    try:
        plain = wsproto_impl.WSProtocol(config, ServerState(), {}, _loop=loop)
        lean = LeanWSProtocol(config, ServerState(), {}, _loop=loop)
    finally:
        loop.close()
    assert isinstance(getattr(plain, "queue", None), asyncio.Queue), (
        "uvicorn's WSProtocol no longer makes its event queue as `self.queue`, an asyncio.Queue")
    assert isinstance(lean.queue, LeanQueue), "LeanWSProtocol's queue is not a LeanQueue"


def test_every_method_uvicorns_wsproto_protocol_calls_on_its_queue_is_a_lean_queues() -> None:
    called = _queue_methods(wsproto_impl)
    assert called, "uvicorn's wsproto protocol calls nothing on self.queue any more: where is its queue?"
    missing = {name for name in called if not callable(getattr(LeanQueue, name, None))}
    assert not missing, f"uvicorn's WSProtocol calls self.queue.{sorted(missing)}, which LeanQueue lacks"


def test_engineio_makes_each_sockets_queue_with_the_servers_create_queue() -> None:
    server = engineio.AsyncServer(async_mode="asgi")
    assert callable(getattr(server, "create_queue", None)), "engineio.AsyncServer.create_queue is gone"
    assert server.get_queue_empty_exception() is asyncio.QueueEmpty, (
        "engine.io now expects another exception than asyncio.QueueEmpty from get_nowait, which LeanQueue raises")
    lean_engineio_queues(server)
    socket = engineio.async_socket.AsyncSocket(server, "sid")
    assert isinstance(socket.queue, LeanQueue), (
        "engine.io's socket no longer makes `self.queue` with `server.create_queue()` (engineio/base_socket.py)")


def test_every_method_engineios_socket_calls_on_its_queue_is_a_lean_queues() -> None:
    called = _queue_methods(engineio.async_socket)
    assert called, "engine.io's socket calls nothing on self.queue any more: where is its queue?"
    missing = {name for name in called if not callable(getattr(LeanQueue, name, None))}
    assert not missing, f"engine.io's AsyncSocket calls self.queue.{sorted(missing)}, which LeanQueue lacks"
