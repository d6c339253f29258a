"""What shared/frames.py relies on in the installed aiormq, checked on a real `aiormq.Channel` whose
connection is a stand-in (no broker): the attributes it writes exist with the expected shape, and
aiormq's own reader settles the confirms it registers (an ack, a nack, a returned `mandatory` message)
and fails them when the channel closes. When an aiormq upgrade changes one, this fails and names it,
before a publish hangs or counts an undelivered message as confirmed. (tests/integration/test_frames.py
checks the same outcomes against a real broker; tests/unit/test_frame_packing.py the bytes.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiormq
import pytest
from aiormq import spec
from aiormq.abc import ChannelFrame
from aiormq.base import Base
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from herald.contract.frames import ChannelClosed, FramePublisher, body_frame, header_frame, publish_frame

pytestmark = pytest.mark.unit

FRAME_MAX = 131_072


class StandInConnection(Base):
    """What `aiormq.Channel.__init__` reads from its connection, and the queue its writer task drains."""

    def __init__(self) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self.publisher_confirms = True
        self.connection_tune = SimpleNamespace(frame_max=FRAME_MAX)
        self.write_queue: asyncio.Queue[ChannelFrame] = asyncio.Queue()

    async def _on_close(self, exc: Any = None) -> None:
        return None

    def __str__(self) -> str:
        return "stand-in"


@pytest.fixture
async def channel() -> AsyncIterator[aiormq.Channel]:
    opened = aiormq.Channel(StandInConnection(), number=3, publisher_confirms=True, on_return_raises=True)  # type: ignore[arg-type]
    yield opened
    await opened.close()


def _properties(message_id: str) -> spec.Basic.Properties:
    return spec.Basic.Properties(delivery_mode=2, message_id=message_id)


def _from_broker(channel: aiormq.Channel, *frames: object) -> None:
    """Hand frames to the channel's reader, as aiormq's connection does with what the broker sends."""
    for frame in frames:
        channel.frames.put_nowait((0, frame))


async def test_the_channel_attributes_frames_py_writes_exist_with_their_shape(channel: aiormq.Channel) -> None:
    expected: dict[str, type | tuple[type, ...]] = {
        "delivery_tag": int, "confirmations": dict, "message_id_delivery_tag": dict, "write_queue": asyncio.Queue,
        "number": int, "max_content_size": int, "is_closed": bool, "frames": asyncio.Queue,
    }
    for name, kind in expected.items():
        assert hasattr(channel, name), f"aiormq.Channel has no attribute {name!r} any more (shared/frames.py uses it)"
        value = getattr(channel, name)
        assert isinstance(value, kind), f"aiormq.Channel.{name} is a {type(value).__name__} now, not a {kind}"
    assert channel.delivery_tag == 0, "aiormq.Channel.delivery_tag no longer starts at 0"
    assert channel.write_queue is channel.connection.write_queue, (  # type: ignore[attr-defined]
        "aiormq.Channel.write_queue is no longer its connection's writer queue")
    assert channel.max_content_size == FRAME_MAX - 8, "aiormq.Channel.max_content_size no longer is frame_max - 8"
    assert isinstance(channel.create_future(), asyncio.Future), "aiormq.Channel.create_future gives no Future"
    fields = {field.name for field in ChannelFrame.__dataclass_fields__.values()}
    assert {"payload", "should_close"} <= fields, f"aiormq.abc.ChannelFrame's fields are {sorted(fields)} now"


async def test_aiormqs_reader_settles_the_confirms_frames_py_registers(channel: aiormq.Channel) -> None:
    frames = FramePublisher()
    body = b'{"event": 1}'
    acked = asyncio.ensure_future(frames.publish(channel, body, exchange="herald.events", routing_key="user.a",
                                                 properties=_properties("m1"), mandatory=True))
    written: ChannelFrame = await asyncio.wait_for(channel.write_queue.get(), 5)
    assert written.payload == (publish_frame(3, "herald.events", "user.a", True)
                               + header_frame(3, _properties("m1"), len(body)) + body_frame(3, body)), (
        "the chunk handed to aiormq.Channel.write_queue is not the publish's frames")
    assert channel.delivery_tag == 1 and set(channel.confirmations) == {1}, "the delivery tag was not registered"
    _from_broker(channel, spec.Basic.Ack(delivery_tag=1))
    await asyncio.wait_for(acked, 5)  # aiormq's reader set the confirm registered in Channel.confirmations
    assert channel.message_id_delivery_tag == {}, "a confirmed publish's message id was not forgotten"

    nacked = asyncio.ensure_future(frames.publish(channel, body, exchange="", routing_key="q",
                                                  properties=_properties("m2"), mandatory=False))
    await asyncio.wait_for(channel.write_queue.get(), 5)
    _from_broker(channel, spec.Basic.Nack(delivery_tag=2))
    with pytest.raises(aiormq.exceptions.DeliveryError):
        await asyncio.wait_for(nacked, 5)

    returned = asyncio.ensure_future(frames.publish(channel, body, exchange="", routing_key="nobody",
                                                    properties=_properties("m3"), mandatory=True))
    await asyncio.wait_for(channel.write_queue.get(), 5)
    assert channel.message_id_delivery_tag == {"m3": 3}, (
        "aiormq.Channel.message_id_delivery_tag, by which aiormq matches a return to its publish, was not set")
    _from_broker(channel, spec.Basic.Return(reply_code=312, reply_text="NO_ROUTE", exchange="", routing_key="nobody"),
                 ContentHeader(body_size=len(body), properties=_properties("m3")), ContentBody(body),
                 spec.Basic.Ack(delivery_tag=3))
    with pytest.raises(aiormq.exceptions.PublishError):
        await asyncio.wait_for(returned, 5)


async def test_closing_the_channel_fails_the_confirms_still_awaited(channel: aiormq.Channel) -> None:
    waiting = asyncio.ensure_future(FramePublisher().publish(channel, b"x", exchange="", routing_key="q",
                                                             properties=_properties("m1"), mandatory=False))
    await asyncio.wait_for(channel.write_queue.get(), 5)
    await channel.close()
    with pytest.raises(ChannelClosed):
        await asyncio.wait_for(waiting, 5)
