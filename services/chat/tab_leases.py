"""Unbinding the tabs of a replica that died: leases.

Why: a connected tab's queue is bound to its user's key on the sessions exchange, so that the inbox
relays the user's events into it. A replica that sees the tab go removes that binding; one that is
killed cannot, and its tabs' queues went on collecting a copy of every event of their users for the
session timeout (an hour by default), then fed them back through the inbox: a burst of events the
user had already seen, in their next tab.

How: for each tab it consumes, a replica holds a lease: a transient message in a queue of the
replica's own, delivered to the replica at once and left unacknowledged while the tab stays. When
the tab leaves, the replica acknowledges it. When the replica's connection goes (a crash, a kill, a
stop, a lost network), the broker puts the unacknowledged leases back in that queue, where they expire
at once (TTL 0) and are dead-lettered into herald.orphaned-tabs, which every replica consumes
(shared/topology.py). The replica that takes an orphaned lease unbinds the tab's queue from its user
unless the queue is consumed again (the tab came back somewhere), and hands the user's events in it
back to their inbox (session_queues.py). A lease costs the broker one small message per connected
tab, and the replica the delivery tag it holds.

Leases are transient: a broker restart drops them, and the replicas take them again when they take
up their tabs' queues again. A replica that dies while the broker is down leaves its tabs' queues
bound, as before: they expire after the session timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractRobustChannel
from aiormq.abc import AbstractChannel as ChannelUnderlay
from aiormq.exceptions import AMQPError, ChannelInvalidStateError

from herald.contract.topology import ORPHANED_TABS_QUEUE, lease_queue_arguments, lease_queue_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    session: str
    user: str
    thread: str | None

    def to_wire(self) -> bytes:
        return json.dumps({"session": self.session, "user": self.user, "thread": self.thread}).encode()

    @classmethod
    def from_wire(cls, body: bytes) -> Lease:
        fields = json.loads(body)
        return cls(str(fields["session"]), str(fields["user"]), fields.get("thread") or None)


OnOrphan = Callable[[Lease], Awaitable[None]]


class TabLeases:
    def __init__(self, connection: AbstractConnection, on_orphan: OnOrphan) -> None:
        self._connection = connection
        self._on_orphan = on_orphan
        self._queue = lease_queue_name(uuid.uuid4().hex)
        self._channel: AbstractChannel | None = None
        self._held: dict[str, tuple[ChannelUnderlay, int]] = {}  # session -> its lease's delivery
        self._given_back: set[str] = set()  # tabs gone before their lease arrived
        self._pending: dict[str, Lease] = {}  # leases to take once the broker is back
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Consume this replica's leases and everybody's orphaned ones (idempotent). The channel is
        robust: aio-pika consumes both again after a reconnect, and the leases that could not be
        taken meanwhile are taken then."""
        async with self._starting:
            if self._channel is not None:
                return
            channel = await self._connection.channel()
            leases = await channel.declare_queue(self._queue, durable=True, arguments=lease_queue_arguments())
            await leases.consume(self._leased)
            orphans = await channel.declare_queue(ORPHANED_TABS_QUEUE, durable=True,
                                                  arguments={"x-queue-type": "classic"})
            await orphans.consume(self._orphaned)
            if isinstance(channel, AbstractRobustChannel):
                channel.reopen_callbacks.add(self._take_pending)
            self._channel = channel

    async def take(self, session: str, user: str, thread: str | None) -> None:
        """Hold a lease for a tab this replica consumes. Never fails: without a lease, the tab's queue
        is left bound if the replica dies, as before leases; a lease the broker cannot take now (its
        connection is coming back) is taken once the channel is open again."""
        lease = Lease(session, user, thread)
        self._given_back.discard(session)
        try:
            await self.start()
            await self._publish(lease)
        except Exception as exc:  # best effort, see above
            self._pending[session] = lease
            log.info("the lease of session %s waits for the broker (%s)", session, type(exc).__name__)

    async def give_back(self, session: str) -> None:
        """The tab left this replica the ordinary way: its lease is done with."""
        self._pending.pop(session, None)
        held = self._held.pop(session, None)
        if held is None:
            self._given_back.add(session)
            return
        await _ack(*held)

    async def _publish(self, lease: Lease) -> None:
        assert self._channel is not None
        await self._channel.default_exchange.publish(
            aio_pika.Message(lease.to_wire(), message_id=lease.session), self._queue)

    async def _take_pending(self, _channel: object = None) -> None:
        pending, self._pending = self._pending, {}
        for lease in pending.values():
            await self.take(lease.session, lease.user, lease.thread)

    async def _leased(self, message: AbstractIncomingMessage) -> None:
        session = str(message.message_id)
        delivery = (message.channel, message.delivery_tag or 0)
        if session in self._given_back:
            self._given_back.discard(session)
            await _ack(*delivery)
            return
        before, self._held[session] = self._held.get(session), delivery
        if before is not None:
            await _ack(*before)  # taken again (after a reconnect): the newer lease stands

    async def _orphaned(self, message: AbstractIncomingMessage) -> None:
        try:
            lease = Lease.from_wire(message.body)
        except (ValueError, KeyError, TypeError):
            log.error("dropping an unreadable orphaned lease")
            await message.ack()
            return
        try:
            await self._on_orphan(lease)
        except Exception:
            log.exception("cleaning up after session %s, whose replica is gone, failed", lease.session)
        await message.ack()


async def _ack(channel: ChannelUnderlay, delivery_tag: int) -> None:
    if channel.is_closed:
        return  # the broker took the lease back with the channel
    try:
        await channel.basic_ack(delivery_tag)
    except (ChannelInvalidStateError, AMQPError) as exc:
        log.info("acknowledging a lease failed (%s)", type(exc).__name__)
