"""In-memory stand-ins for unit tests of the chat's delivery logic: the tabs port (services/chat/tabs.py)
without Chainlit, and the AMQP message aio-pika hands a consumer, without a broker.

FakeTabs keeps what the port promises and no more: a show is unacknowledged until the test proves the
tab's socket read it (`prove`), a reconnect gives the tab a new socket, and a show to a dropped tab
vanishes (`emitted` returns None)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aio_pika.abc import AbstractIncomingMessage

from herald.chat.notification_view import Acknowledged, ToastType
from herald.chat.render import Step
from herald.chat.tabs import AckClick, ClickAnswer, OnAckClick, OnProof, OnResumed, Tab, TabCallback
from herald.contract.events import Event
from herald.contract.topology import RELAYED_FOR_HEADER


@dataclass
class FakeTab:
    user: str
    thread_id: str | None
    socket: str
    live: bool = True
    joined: bool = False  # the current socket joined the broadcasts


@dataclass
class FakeSocket:
    sent: int = 0  # pings queued behind shows
    on_proof: OnProof | None = None


async def _nobody(tab: Tab) -> None:
    pass


async def _no_callback(click: AckClick) -> ClickAnswer:
    raise AssertionError("a click while nobody watches for acks: the channel would answer 404")


def _no_resume(session_id: str, event_id: str, step: Step) -> None:
    pass


class FakeTabs:
    def __init__(self, keeps_threads: bool = False) -> None:
        self.tabs: dict[str, FakeTab] = {}
        self.sockets: dict[str, FakeSocket] = {}
        self.shown: list[tuple[str, str]] = []  # (session id, event id), in order
        self.broadcasts: list[tuple[str, set[str]]] = []  # (event id, the sessions it reached)
        self.threads: dict[str, str] = {}  # thread id -> owner
        self.written: list[tuple[str, str]] = []  # (thread id, event id)
        self.failing: set[str] = set()  # event ids whose rendering raises
        # What was shown acknowledged: (session id, event id or kept step id, by whom)
        self.acknowledged: list[tuple[str, str, str]] = []
        self.toasts: list[tuple[str, str, str]] = []  # (session id, text, kind)
        self._on_click: OnAckClick = _no_callback
        self._on_resumed: OnResumed = _no_resume
        self._keeps_threads = keeps_threads
        self._socket_ids = (f"socket-{n}" for n in itertools.count())
        self._on_connected: TabCallback = _nobody
        self._on_disconnected: TabCallback = _nobody

    # What a test does to the tabs.
    async def open(self, session_id: str, user: str, thread_id: str | None = None) -> str:
        """(Re)connect the tab on a new socket, and report it; returns the socket id."""
        socket = next(self._socket_ids)
        self.sockets[socket] = FakeSocket()
        self.tabs[session_id] = FakeTab(user, thread_id, socket)
        await self._on_connected(Tab(session_id, user, thread_id))
        return socket

    async def drop(self, session_id: str) -> None:
        tab = self.tabs[session_id]
        tab.live = tab.joined = False
        await self._on_disconnected(Tab(session_id, tab.user, tab.thread_id))

    def prove(self, session_id: str, socket_id: str | None = None) -> None:
        """The tab's socket (or an earlier one of it) answers every ping queued so far: each show on it
        so far is proven."""
        socket = self.sockets[socket_id or self.tabs[session_id].socket]
        if socket.on_proof is not None:
            socket.on_proof(socket.sent)

    async def click(self, session_id: str, payload: object) -> ClickAnswer:
        """The tab's user clicks a button with this payload (as a browser may send any)."""
        tab = self.tabs[session_id]
        return await self._on_click(AckClick(session_id, tab.user, tab.thread_id, payload))

    def resume(self, session_id: str, event_id: str, step: Step) -> None:
        """The tab got a Herald step of this event back from history."""
        self._on_resumed(session_id, event_id, step)

    def shown_in(self, session_id: str) -> list[str]:
        return [event_id for shown_to, event_id in self.shown if shown_to == session_id]

    # The port.
    def watch(self, on_connected: TabCallback, on_disconnected: TabCallback) -> Callable[[], None]:
        self._on_connected, self._on_disconnected = on_connected, on_disconnected

        def stop() -> None:
            self._on_connected = self._on_disconnected = _nobody

        return stop

    def socket(self, session_id: str) -> str | None:
        tab = self.tabs.get(session_id)
        return None if tab is None else tab.socket

    def is_live(self, session_id: str) -> bool:
        tab = self.tabs.get(session_id)
        return tab is not None and tab.live

    async def show(self, session_id: str, event: Event, acknowledged: Acknowledged | None = None) -> None:
        if event.id in self.failing:
            raise RuntimeError("rendering fails on purpose")
        if self.is_live(session_id):  # as an emit to a dead socket, a show to a dropped tab vanishes
            self.shown.append((session_id, event.id))
            if acknowledged is not None:
                self.acknowledged.append((session_id, event.id, acknowledged.by))

    async def show_acknowledged(self, session_id: str, event: Event, acknowledged: Acknowledged) -> None:
        if self.is_live(session_id):
            self.acknowledged.append((session_id, event.id, acknowledged.by))

    async def show_step_acknowledged(self, session_id: str, kept: Step, acknowledged: Acknowledged) -> None:
        if self.is_live(session_id):
            self.acknowledged.append((session_id, str(kept["id"]), acknowledged.by))

    async def toast(self, session_id: str, text: str, kind: ToastType) -> None:
        if self.is_live(session_id):
            self.toasts.append((session_id, text, kind))

    def watch_acks(self, on_click: OnAckClick, on_resumed: OnResumed) -> Callable[[], None]:
        self._on_click, self._on_resumed = on_click, on_resumed

        def stop() -> None:
            self._on_click, self._on_resumed = _no_callback, _no_resume

        return stop

    async def emitted(self, socket: str, on_proof: OnProof) -> int | None:
        if not any(tab.socket == socket and tab.live for tab in self.tabs.values()):
            return None
        state = self.sockets[socket]
        state.on_proof = on_proof
        mark, state.sent = state.sent, state.sent + 1
        return mark

    async def join_broadcasts(self, session_id: str) -> None:
        if self.is_live(session_id):
            self.tabs[session_id].joined = True

    async def show_to_all(self, event: Event) -> None:
        self.broadcasts.append((event.id, {session for session, tab in self.tabs.items() if tab.joined and tab.live}))

    @property
    def keeps_threads(self) -> bool:
        return self._keeps_threads

    async def thread_owner(self, thread_id: str) -> str | None:
        return self.threads.get(thread_id)

    async def write_to_thread(self, thread_id: str, event: Event) -> None:
        self.written.append((thread_id, event.id))


@dataclass
class FakeChannel:
    is_closed: bool = False


@dataclass
class FakeMessage:
    """What Herald's handlers read of aio-pika's AbstractIncomingMessage, and what became of it."""

    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = "application/json"
    channel: FakeChannel = field(default_factory=FakeChannel)
    outcome: str | None = None  # "ack", "requeued", "rejected"

    async def ack(self) -> None:
        self._settle("ack")

    async def nack(self, requeue: bool = True) -> None:
        self._settle("requeued" if requeue else "rejected")

    def _settle(self, outcome: str) -> None:
        assert self.outcome is None, f"message settled twice: {self.outcome}, then {outcome}"
        self.outcome = outcome


def message_of(event: Event, relayed_for: str | None = None) -> tuple[FakeMessage, AbstractIncomingMessage]:
    """A message carrying `event` (a copy relayed from `relayed_for`'s inbox when given), as the test
    reads it and as a handler takes it."""
    fake = FakeMessage(event.to_wire(), {RELAYED_FOR_HEADER: relayed_for} if relayed_for else {})
    return fake, cast(AbstractIncomingMessage, fake)
