"""What `verify_delivery` hands on: the source's name and a usable delivery id, or a refusal (found by mutation
testing, tests/README.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from herald.notifier.webhooks import PayloadError, SourceConfig, verify_delivery

pytestmark = pytest.mark.unit

MakeSource = Callable[..., SourceConfig]

TOKEN = {"X-Token": "t0ken"}  # the default source of `make_source`


def test_the_delivery_carries_its_source_name(make_source: MakeSource) -> None:
    delivery = verify_delivery(make_source(name="deploys"), b"{}", TOKEN)
    assert delivery.source == "deploys"


@pytest.mark.parametrize("body", [b'{"d": {"id": ""}}', b'{"d": {"id": true}}', b'{"d": {"id": 1.5}}'])
def test_an_empty_or_non_scalar_delivery_id_is_unprocessable(make_source: MakeSource, body: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        verify_delivery(make_source(delivery_id_path="d.id"), body, TOKEN)
    assert caught.value.reason == "the delivery id at 'd.id' is not a string or an integer"


@pytest.mark.parametrize(("body", "delivery_id"), [(b'{"d": {"id": 0}}', "0"), (b'{"d": {"id": "x"}}', "x")])
def test_a_string_or_integer_delivery_id_is_kept_as_text(make_source: MakeSource, body: bytes,
                                                         delivery_id: str) -> None:
    assert verify_delivery(make_source(delivery_id_path="d.id"), body, TOKEN).delivery_id == delivery_id


def test_a_blank_delivery_id_header_is_unprocessable(make_source: MakeSource) -> None:
    source = make_source(delivery_id_header="X-Request-Id")
    with pytest.raises(PayloadError, match="missing x-request-id header"):
        verify_delivery(source, b"{}", {**TOKEN, "X-Request-Id": "  "})
