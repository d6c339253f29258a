"""shared/frames.py packs a publish's frames by hand; they must be pamqp's bytes, whatever the input."""

from __future__ import annotations

import datetime

import pamqp.frame
import pytest
from aiormq import spec
from hypothesis import given
from hypothesis import strategies as st
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from herald.contract.frames import body_frame, header_frame, publish_frame

pytestmark = pytest.mark.unit

channels = st.integers(min_value=1, max_value=65535)
short_strings = st.text(max_size=60)  # up to 240 bytes of UTF-8
maybe_short = st.none() | short_strings
# pamqp checks exchange names against AMQP's grammar; Herald's are constants of shared/topology.py.
exchanges = st.from_regex(r"[a-zA-Z0-9_.:-]{0,127}", fullmatch=True)
properties = st.builds(
    spec.Basic.Properties,
    content_type=maybe_short,
    delivery_mode=st.none() | st.sampled_from([1, 2]),
    message_id=maybe_short,
    timestamp=st.none() | st.datetimes(min_value=datetime.datetime(1970, 1, 2), timezones=st.just(datetime.UTC)),
    expiration=st.none() | st.integers(min_value=0, max_value=10**9).map(str),
    message_type=maybe_short,
    headers=st.none() | st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=3),
)


@given(channels, exchanges, short_strings, st.booleans())
def test_a_publish_method_frame_is_pamqps(channel: int, exchange: str, routing_key: str, mandatory: bool) -> None:
    expected = pamqp.frame.marshal(spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=mandatory),
                                   channel)
    assert publish_frame(channel, exchange, routing_key, mandatory) == expected


@given(channels, properties, st.integers(min_value=0, max_value=2**40))
def test_a_content_header_frame_is_pamqps(channel: int, props: spec.Basic.Properties, body_size: int) -> None:
    expected = pamqp.frame.marshal(ContentHeader(properties=props, body_size=body_size), channel)
    assert header_frame(channel, props, body_size) == expected


@given(channels, st.binary(max_size=2000))
def test_a_body_frame_is_pamqps(channel: int, chunk: bytes) -> None:
    assert body_frame(channel, chunk) == pamqp.frame.marshal(ContentBody(chunk), channel)


def test_a_routing_key_over_255_bytes_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="at most 255 bytes"):
        publish_frame(1, "herald.events", "user." + "é" * 130, mandatory=True)
