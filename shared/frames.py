"""Confirmed publishing, the one way both services publish: the notifier's events, the chat's relayed
copies and dead letters. The frames of one event-loop turn are written out at once.

Why not `aiormq.Channel.basic_publish`: per message it takes the channel's lock, enters two context
managers, queues its frames for the connection's writer task, which wakes and makes one socket write
for each. At the notifier's rates that costs about as much as everything else a publish does (the
profiles in docs/benchmarks.md; aio-pika's Exchange.publish cost the chat's relay 80-140 µs of CPU
more per copy than this). Here each publish only takes its delivery tag, registers its confirm
with the channel and marshals its frames; the frames of all publishes made in one loop turn go to the
writer as one chunk: one wake-up, one write.

The three frames of a publish are packed here, and only the properties by pamqp (as aiormq does):
pamqp's `frame.marshal` builds a frame object and walks its generic, validating encoders, 16-18 µs
per publish against 7-8 µs here (a microbenchmark of Herald's events). tests/unit/test_frame_packing.py checks
the bytes against pamqp's.

Everything else stays aiormq's: its reader settles the confirms registered here (acks, nacks, and
returns of `mandatory` messages, matched by message id), and closing the channel fails them. Nothing
else publishes on the channel, so delivery tags follow the order of the frames on the wire.

What it buys (`python -m bench.hacks publish`, docs/benchmarks.md "What the optimisations buy"): 39.5 µs
of the publishing process's CPU per confirmed publish against 76.2 µs for `Channel.basic_publish` and
100 µs for aio-pika's `Exchange.publish`, in turns in one run; 1,897 publishes/s against 1,308.

aiormq's internals it touches (aiormq is pinned exactly; tests/unit/test_aiormq_contract.py fails and
names the one that changed):
- `Channel.delivery_tag`: incremented per publish, as `basic_publish` does, to number the confirm;
- `Channel.confirmations[tag]`: the future aiormq's reader settles on the broker's ack, nack or return;
- `Channel.message_id_delivery_tag[message_id]`: how the reader finds the publish a return belongs to;
- `Channel.write_queue` and `aiormq.abc.ChannelFrame(payload, should_close)`: the connection's writer
  queue, given one chunk of frames per loop turn;
- `Channel.number`, `Channel.max_content_size`, `Channel.create_future()`, `Channel.is_closed`: read only.
"""

from __future__ import annotations

import asyncio
import struct
from typing import cast

import aiormq
from aio_pika.abc import AbstractChannel
from aiormq import spec
from aiormq.abc import ChannelFrame

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
        if self._channel.is_closed:
            # While the link is down a robust channel would wait for it, without a deadline.
            raise ChannelClosed("the channel is closed: the broker link is down")
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
        pending.append(publish_frame(number, exchange, routing_key, mandatory))
        pending.append(header_frame(number, properties, len(body)))
        step = channel.max_content_size
        for start in range(0, len(body), step):
            pending.append(body_frame(number, body[start:start + step]))
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


# AMQP 0-9-1 framing (section 4.2.3 of the specification): type, channel, payload size, payload, end.
_FRAME_END = b"\xce"
_METHOD, _HEADER, _BODY = 1, 2, 3
_BASIC_CLASS, _PUBLISH_METHOD = 60, 40
_PUBLISH_START = struct.Struct(">BHIHHH")  # frame header, class, method, reserved ticket
_HEADER_START = struct.Struct(">BHIHHQ")  # frame header, class, weight, body size
_BODY_START = struct.Struct(">BHI")


def publish_frame(channel: int, exchange: str, routing_key: str, mandatory: bool) -> bytes:
    """Basic.Publish (immediate is never set: RabbitMQ refuses it)."""
    names = _short_string(exchange) + _short_string(routing_key)
    return b"".join((_PUBLISH_START.pack(_METHOD, channel, 7 + len(names), _BASIC_CLASS, _PUBLISH_METHOD, 0),
                     names, b"\x01" if mandatory else b"\x00", _FRAME_END))


def header_frame(channel: int, properties: spec.Basic.Properties, body_size: int) -> bytes:
    packed = properties.marshal()
    return b"".join((_HEADER_START.pack(_HEADER, channel, 12 + len(packed), _BASIC_CLASS, 0, body_size), packed,
                     _FRAME_END))


def body_frame(channel: int, chunk: bytes) -> bytes:
    return b"".join((_BODY_START.pack(_BODY, channel, len(chunk)), chunk, _FRAME_END))


def _short_string(value: str) -> bytes:
    encoded = value.encode()
    if len(encoded) > 255:
        raise ValueError(f"an AMQP short string has at most 255 bytes, {value[:40]!r}... has {len(encoded)}")
    return bytes((len(encoded),)) + encoded


def _forget(channel: aiormq.Channel, message_id: str, tag: int) -> None:
    if channel.message_id_delivery_tag.get(message_id) == tag:
        del channel.message_id_delivery_tag[message_id]
