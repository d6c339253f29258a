"""Confirmed publishing, the one way both services publish: the notifier's events, the chat's relayed
copies and dead letters. The frames of one event-loop turn are written out at once.

Why not `aiormq.Channel.basic_publish`: per message it takes the channel's lock, enters two context
managers, queues its frames for the connection's writer task, which wakes and makes one socket write
for each. At the notifier's rates that costs about as much as everything else a publish does (the
profiles in docs/benchmarks.md; aio-pika's Exchange.publish cost the chat's relay 80-140 µs of CPU
more per copy than this). Here each publish only takes its delivery tag, registers its confirm
with the channel and marshals its frames (with pamqp, like aiormq); the frames of all publishes made
in one loop turn go to the writer as one chunk: one wake-up, one write.

Everything else stays aiormq's: its reader settles the confirms registered here (acks, nacks, and
returns of `mandatory` messages, matched by message id), and closing the channel fails them. Nothing
else publishes on the channel, so delivery tags follow the order of the frames on the wire.
"""

from __future__ import annotations

import asyncio
from typing import cast

import aiormq
import pamqp.frame
from aio_pika.abc import AbstractChannel
from aiormq import spec
from aiormq.abc import ChannelFrame
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

# The writer's queue is bounded; when it is full the socket is backed up and the next turn retries.
_RETRY_SECONDS = 0.001


class ChannelClosed(RuntimeError):
    """The channel closed before the broker confirmed."""


class MessageIdInFlight(RuntimeError):
    """A `mandatory` publish with this message id still awaits its confirm (a caller gave up on it)."""


class ConfirmedPublisher:
    """Publishes on an aio-pika channel opened with `publisher_confirms=True, on_return_raises=True`, which
    nothing else publishes on. The channel's aiormq channel changes when aio-pika reconnects."""

    def __init__(self, channel: AbstractChannel) -> None:
        self._channel = channel
        self._frames = FramePublisher()

    async def publish(self, body: bytes, *, exchange: str, routing_key: str, properties: spec.Basic.Properties,
                      mandatory: bool) -> None:
        """Return once the broker confirmed (see FramePublisher.publish for what it raises)."""
        underlay = cast(aiormq.Channel, await self._channel.get_underlay_channel())
        await self._frames.publish(underlay, body, exchange=exchange, routing_key=routing_key,
                                   properties=properties, mandatory=mandatory)


class FramePublisher:
    def __init__(self) -> None:
        self._channel: aiormq.Channel | None = None
        self._pending: list[bytes] = []  # marshalled frames, in delivery-tag order
        self._flush_scheduled = False

    async def publish(self, channel: aiormq.Channel, body: bytes, *, exchange: str, routing_key: str,
                      properties: spec.Basic.Properties, mandatory: bool) -> None:
        """Return once the broker confirmed; raise what aiormq sets on the confirm (DeliveryError for a
        nack, PublishError for a returned `mandatory` message) or ChannelClosed.

        aiormq finds the publish a returned message belongs to by its message id, so a `mandatory`
        publish needs a message id (else ValueError), and one that no publish still in flight has (else
        MessageIdInFlight), both raised before anything is sent: a return matched to the wrong publish
        would count an undelivered message as confirmed."""
        confirmation = self._send(channel, body, exchange, routing_key, properties, mandatory)
        try:
            await confirmation
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # our caller gave up (a timeout): not the channel's doing
            # aiormq fails the confirms of a closing channel with its reason, a cancellation by default.
            raise ChannelClosed("the channel closed before the broker confirmed") from None

    def _send(self, channel: aiormq.Channel, body: bytes, exchange: str, routing_key: str,
              properties: spec.Basic.Properties, mandatory: bool) -> asyncio.Future[object]:
        if channel.is_closed:
            raise ChannelClosed("the channel is closed")
        message_id = properties.message_id
        if mandatory and not message_id:
            raise ValueError("a mandatory publish needs a message id")
        if mandatory and message_id in channel.message_id_delivery_tag:
            raise MessageIdInFlight(f"a publish with message id {message_id!r} still awaits its confirm")
        if channel is not self._channel:
            # A new channel (the connection came back): frames still held for the old one cannot go out
            # any more, and the old channel's close has failed their confirms already.
            self._channel, self._pending = channel, []
        channel.delivery_tag += 1
        tag = channel.delivery_tag
        confirmation: asyncio.Future[object] = channel.create_future()
        channel.confirmations[tag] = confirmation
        if mandatory and message_id:  # checked above; for the type checker
            # aiormq matches a returned message to its confirm by message id.
            channel.message_id_delivery_tag[message_id] = tag
            confirmation.add_done_callback(lambda _: _forget(channel, message_id, tag))
        number = channel.number
        pending = self._pending
        pending.append(pamqp.frame.marshal(
            spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory), number))
        pending.append(pamqp.frame.marshal(ContentHeader(properties=properties, body_size=len(body)), number))
        step = channel.max_content_size
        for start in range(0, len(body), step):
            pending.append(pamqp.frame.marshal(ContentBody(body[start:start + step]), number))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return confirmation

    def _flush(self) -> None:
        self._flush_scheduled = False
        channel, pending = self._channel, self._pending
        if channel is None or not pending:
            return
        if channel.is_closed:
            self._pending = []
            return
        try:
            channel.write_queue.put_nowait(ChannelFrame(payload=b"".join(pending), should_close=False))
        except asyncio.QueueFull:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(_RETRY_SECONDS, self._flush)
            return
        self._pending = []


def _forget(channel: aiormq.Channel, message_id: str, tag: int) -> None:
    if channel.message_id_delivery_tag.get(message_id) == tag:
        del channel.message_id_delivery_tag[message_id]
