"""The contract services/chat/socket_liveness.py relies on: python-engineio's private names it touches,
and a real engine.io round trip in which a tab's pong proves an emit, with a real python-socketio
server (under uvicorn, in this process) and client.

If python-engineio or python-socketio renames or reshapes what the adapter reads, this fails and names
what changed, before a replica silently stops acknowledging its tabs' deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import engineio
import pytest
import socketio
import uvicorn
from engineio import packet
from engineio.async_socket import AsyncSocket
from websockets.asyncio.client import connect

from herald.chat import socket_liveness
from scripts.rabbitmq_node import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


def test_the_private_names_the_adapter_touches_still_exist() -> None:
    for name in ("send", "receive", "check_ping_timeout"):
        assert callable(getattr(AsyncSocket, name, None)), f"engineio.async_socket.AsyncSocket.{name} is gone"
    assert (packet.PING, packet.PONG) == (2, 3), "engine.io's PING/PONG packet types changed"
    assert packet.Packet(packet.PING).encode() == "2", "engine.io's PING packet encodes differently"
    server = socketio.AsyncServer(async_mode="asgi")
    assert isinstance(server.eio.sockets, dict), "engineio AsyncServer.sockets is no longer a dict"
    assert callable(server.manager.eio_sid_from_sid), "the socket.io manager lost eio_sid_from_sid"
    socket = AsyncSocket(server.eio, "sid")
    for attribute in ("last_ping", "closed", "sid"):
        assert hasattr(socket, attribute), f"engineio AsyncSocket.{attribute} is gone"
    assert not hasattr(AsyncSocket, "__slots__") or "__dict__" in AsyncSocket.__slots__, \
        "AsyncSocket takes no new attribute (the adapter keeps its count on the socket)"


class Served:
    def __init__(self, server: socketio.AsyncServer, url: str) -> None:
        self.server, self.url = server, url
        self.sids: list[str] = []


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with serving(ping_interval=0.5) as served:
        yield served


@asynccontextmanager
async def serving(ping_interval: float) -> AsyncIterator[Served]:
    socket_liveness.install()
    server = socketio.AsyncServer(async_mode="asgi", ping_interval=ping_interval, ping_timeout=1)
    port = free_port()
    served = Served(server, f"http://127.0.0.1:{port}")

    @server.event
    async def connect(sid: str, environ: object) -> None:
        served.sids.append(sid)

    uvicorn_server = uvicorn.Server(uvicorn.Config(socketio.ASGIApp(server), host="127.0.0.1", port=port,
                                                   log_config=None, loop="none", lifespan="off"))
    serving = asyncio.create_task(uvicorn_server.serve())
    await wait_until(lambda: uvicorn_server.started, what="the socket.io server to start")
    try:
        yield served
    finally:
        uvicorn_server.should_exit = True
        await serving
        socket_liveness.uninstall()


async def client_of(served: Served) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(served.url, transports=["websocket"], wait_timeout=5)
    await wait_until(lambda: bool(served.sids), what="the server to see the client")
    return client


async def test_a_pong_after_the_emit_proves_it(served: Served) -> None:
    client = await client_of(served)
    received: list[int] = []
    client.on("n", received.append)
    proofs: list[int] = []
    sid = served.sids[0]
    marks = []
    for n in range(20):  # a burst: one probe in flight, the next one covers the rest
        await served.server.emit("n", n, to=sid)
        mark = await socket_liveness.emitted(served.server, sid, proofs.append)
        assert mark is not None
        marks.append(mark)
    await wait_until(lambda: bool(proofs) and proofs[-1] > marks[-1], what="the last emit to be proven")
    assert received == list(range(20))  # everything proven was read first
    assert marks == sorted(marks)
    await client.disconnect()


async def test_a_client_that_stops_answering_proves_nothing(served: Served) -> None:
    client = await client_of(served)
    sid = served.sids[0]
    proofs: list[int] = []
    frozen = asyncio.Event()
    reading = client.eio._receive_packet

    async def stalled(pkt: engineio.packet.Packet) -> None:
        await frozen.wait()  # a stalled tab: it reads nothing and answers no ping
        await reading(pkt)

    client.eio._receive_packet = stalled
    await served.server.emit("n", 1, to=sid)
    mark = await socket_liveness.emitted(served.server, sid, proofs.append)
    assert mark is not None
    await asyncio.sleep(0.4)  # several round trips on loopback, within engine.io's ping timeout
    assert not [answered for answered in proofs if answered > mark]
    frozen.set()
    await wait_until(lambda: any(answered > mark for answered in proofs), what="the thawed client's proof")
    await client.disconnect()


async def test_probes_leave_engine_io_heartbeat_working(served: Served) -> None:
    """Pings come every 0.5 s here; a probe's pong must not stand in for them, nor upset them."""
    client = await client_of(served)
    sid = served.sids[0]
    proofs: list[int] = []
    deadline = asyncio.get_running_loop().time() + 2.5  # past the ping interval plus timeout, twice
    while asyncio.get_running_loop().time() < deadline:
        await served.server.emit("n", 0, to=sid)
        await socket_liveness.emitted(served.server, sid, proofs.append)
        await asyncio.sleep(0.05)
    assert client.connected and served.server.manager.is_connected(sid, "/")
    assert proofs[-1] > 40  # every probe was answered
    await client.disconnect()


async def test_a_pong_to_a_ping_queued_before_the_emit_proves_nothing() -> None:
    """Driven by hand over a raw websocket, as a browser's engine.io would speak, so that the test says
    when the client answers: emit A, emit B, and the client answers the ping it read after A only."""
    async with serving(ping_interval=25) as served:  # engine.io's own ping stays out of the way
        url = served.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with connect(url) as browser:
            assert str(await browser.recv()).startswith("0{")  # engine.io open
            await browser.send("40")  # socket.io connect
            assert str(await browser.recv()).startswith("40")
            await wait_until(lambda: bool(served.sids), what="the server to see the client")
            sid, proofs = served.sids[0], []
            await served.server.emit("n", "A", to=sid)
            mark_a = await socket_liveness.emitted(served.server, sid, proofs.append)
            await served.server.emit("n", "B", to=sid)
            mark_b = await socket_liveness.emitted(served.server, sid, proofs.append)
            assert mark_a is not None and mark_b is not None
            assert [await browser.recv(), await browser.recv()] == ['42["n","A"]', "2"]
            await browser.send("3")  # the pong to the ping queued after A, before B
            await wait_until(lambda: bool(proofs), what="the pong to be counted")
            assert proofs[-1] > mark_a and not proofs[-1] > mark_b
            assert [await browser.recv(), await browser.recv()] == ['42["n","B"]', "2"]  # B's own probe
            await browser.send("3")
            await wait_until(lambda: proofs[-1] > mark_b, what="B to be proven")
