"""Learning when Chainlit sessions connect and disconnect, without taking over the app's hooks.

`on_chat_start` and `on_chat_end` belong to the app that embeds Herald, and Chainlit keeps one
callback per hook. So Herald wraps Chainlit's own socket.io handlers instead: it runs after
`connection_successful` (every connect and reconnect of a tab) and before `disconnect` (which may
delete the session).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chainlit.server import sio
from chainlit.session import WebsocketSession

SessionCallback = Callable[[WebsocketSession], Awaitable[None]]


def watch_sessions(on_connected: SessionCallback, on_disconnected: SessionCallback) -> Callable[[], None]:
    """Install the wrappers; return a function that puts Chainlit's handlers back."""
    handlers = sio.handlers["/"]
    chainlit_connected = handlers["connection_successful"]
    chainlit_disconnect = handlers["disconnect"]

    async def connection_successful(sid: str) -> Any:
        result = await chainlit_connected(sid)
        session = WebsocketSession.get(sid)
        if session is not None and session.user is not None:
            await on_connected(session)
        return result

    async def disconnect(sid: str, reason: Any = None) -> Any:
        session = WebsocketSession.get(sid)
        if session is not None and session.user is not None:
            await on_disconnected(session)
        return await chainlit_disconnect(sid)

    handlers["connection_successful"] = connection_successful
    handlers["disconnect"] = disconnect

    def restore() -> None:
        handlers["connection_successful"] = chainlit_connected
        handlers["disconnect"] = chainlit_disconnect

    return restore
