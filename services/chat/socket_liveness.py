"""Proof that a browser tab read what was emitted to it: the one place Herald reads python-engineio's
internals.

Why: Chainlit's frontend asks for no ack on `new_message`, so an emit is never acknowledged, and a socket
that stalled or died silently looks connected until engine.io's ping timeout (25 s + 20 s by default):
what it is sent meanwhile vanishes. The proof Herald uses needs no frontend change: an engine.io PONG
answers a PING, and a websocket is ordered in each direction, so a PONG that answers a PING queued
*after* an emit proves the browser read the emit before it answered. A PONG that merely arrives after
the emit proves nothing: the browser may have sent it before the emit reached it. So the pings and
pongs of a socket are counted, and the n-th PONG answers the n-th PING.

Engine.io's own ping comes every 25 s. Rather than a shorter interval for every tab (a cost idle tabs
would pay), Herald queues a PING of its own (a probe) behind an emit, at most one probe in flight per
socket: emits made while one is in flight get the next probe when its PONG comes. An idle tab is never
probed. A PONG that answers a probe is not passed on to engine.io, whose heartbeat would take it for
the answer to its own ping.

Private names of python-engineio and python-socketio touched here (tests/unit/test_socket_liveness.py
fails clearly when one of them changes):
- `engineio.async_socket.AsyncSocket.send` and `AsyncSocket.receive`: wrapped, once per process;
- `AsyncSocket.last_ping`: set while engine.io's own PING waits for its PONG;
- `AsyncSocket.closed`;
- `engineio.packet.Packet`, `engineio.packet.PING`, `engineio.packet.PONG`;
- `engineio.async_server.AsyncServer.sockets`: engine.io session id -> socket;
- the socket.io manager's `eio_sid_from_sid(sid, namespace)`;
- and Herald sets an attribute `herald_liveness` on the sockets it has emitted to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from engineio import packet
from engineio.async_socket import AsyncSocket

log = logging.getLogger(__name__)

ATTRIBUTE = "herald_liveness"
NAMESPACE = "/"

OnProof = Callable[[int], None]  # called with the number of this socket's pings answered so far


class Liveness:
    """The pings queued on one socket since Herald first emitted to it, and the pongs answering them."""

    __slots__ = ("answered", "in_flight", "on_proof", "probe_due", "sent")

    def __init__(self, engine_ping_waiting: bool, on_proof: OnProof) -> None:
        # For each ping not answered yet, in order: True when Herald sent it (a probe). A list, not a
        # deque: it holds two or three at most, and an empty deque takes 760 bytes of every tab's memory.
        self.in_flight: list[bool] = [False] if engine_ping_waiting else []
        self.sent = len(self.in_flight)
        self.answered = 0
        self.probe_due = False  # an emit since the probe in flight was queued
        self.on_proof = on_proof


_installed: dict[str, Any] = {}


def install() -> None:
    """Count the pings and pongs of the sockets Herald emits to (idempotent)."""
    if _installed:
        return
    send, receive = AsyncSocket.send, AsyncSocket.receive
    _installed.update(send=send, receive=receive)

    async def counting_send(self: AsyncSocket, pkt: packet.Packet) -> None:
        if pkt.packet_type == packet.PING and (state := getattr(self, ATTRIBUTE, None)) is not None:
            state.in_flight.append(False)  # engine.io's own heartbeat
            state.sent += 1
        await send(self, pkt)

    async def counting_receive(self: AsyncSocket, pkt: packet.Packet) -> None:
        if pkt.packet_type == packet.PONG and (state := getattr(self, ATTRIBUTE, None)) is not None \
                and state.in_flight:
            probe = state.in_flight.pop(0)
            state.answered += 1
            state.on_proof(state.answered)
            if state.probe_due and True not in state.in_flight:
                await _probe(self, state)
            if probe:
                return
        await receive(self, pkt)

    AsyncSocket.send = counting_send
    AsyncSocket.receive = counting_receive


def uninstall() -> None:
    if _installed:
        AsyncSocket.send = _installed.pop("send")
        AsyncSocket.receive = _installed.pop("receive")


async def emitted(server: Any, sid: str, on_proof: OnProof) -> int | None:
    """Call right after an emit to socket.io socket `sid` of `server` (a socketio.AsyncServer).

    Returns the emit's mark: the emit is proven once more than `mark` of the socket's pings are answered
    (`on_proof` is then called with a count above it). None when the socket is gone: the emit vanished.
    """
    socket = _socket(server, sid)
    if socket is None:
        return None
    state: Liveness | None = getattr(socket, ATTRIBUTE, None)
    if state is None:
        state = Liveness(engine_ping_waiting=socket.last_ping is not None, on_proof=on_proof)
        setattr(socket, ATTRIBUTE, state)
    state.on_proof = on_proof
    mark = state.sent
    if True in state.in_flight:
        state.probe_due = True  # sent when the probe in flight is answered
    else:
        await _probe(socket, state)
    return mark


def _socket(server: Any, sid: str) -> AsyncSocket | None:
    eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
    socket = server.eio.sockets.get(eio_sid) if eio_sid is not None else None
    return None if socket is None or socket.closed else socket


async def _probe(socket: AsyncSocket, state: Liveness) -> None:
    state.probe_due = False
    state.in_flight.append(True)
    state.sent += 1
    try:
        await _installed["send"](socket, packet.Packet(packet.PING))
    except Exception:  # the socket closed meanwhile: no pong will come, and its tab is handled as gone
        log.debug("probing engine.io socket %s failed", socket.sid, exc_info=True)
