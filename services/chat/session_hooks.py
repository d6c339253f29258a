"""Learning when Chainlit sessions connect and disconnect, without taking over the app's hooks; and
refusing sockets whose ids did not come from Chainlit.

`on_chat_start` and `on_chat_end` belong to the app that embeds Herald, and Chainlit keeps one
callback per hook. So Herald wraps Chainlit's own socket.io handlers instead:
- `connect`: before Chainlit makes a session, a socket whose session or thread id is not one Chainlit
  makes is refused (tab_ids.py), with a log line saying why;
- `connection_successful` (every connect and reconnect of a tab): after Chainlit's handler. When
  Herald refuses the tab there (`TabRefused`: its session id names another user's tab on another
  replica), the socket is closed;
- `disconnect` (which may delete the session): before Chainlit's handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from chainlit.server import sio
from chainlit.session import WebsocketSession
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from herald.chat.tab_ids import TabRefused, refusal_reason

log = logging.getLogger(__name__)

SessionCallback = Callable[[WebsocketSession], Awaitable[None]]


def watch_sessions(on_connected: SessionCallback, on_disconnected: SessionCallback) -> Callable[[], None]:
    """Install the wrappers; return a function that puts Chainlit's handlers back."""
    handlers = sio.handlers["/"]
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
        session = WebsocketSession.get(sid)
        if session is not None and session.user is not None:
            try:
                await on_connected(session)
            except TabRefused as refused:
                log.warning("refusing session %s of %s: %s", session.id, session.user.identifier, refused)
                await sio.disconnect(sid)
        return result

    async def disconnect(sid: str, reason: Any = None) -> Any:
        session = WebsocketSession.get(sid)
        if session is not None and session.user is not None:
            await on_disconnected(session)
        return await chainlit_disconnect(sid)

    handlers["connect"] = connect
    handlers["connection_successful"] = connection_successful
    handlers["disconnect"] = disconnect

    def restore() -> None:
        handlers["connect"] = chainlit_connect
        handlers["connection_successful"] = chainlit_connected
        handlers["disconnect"] = chainlit_disconnect

    return restore
