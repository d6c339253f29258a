"""A webhook body is read with a depth limit, and anything Python's json cannot read is a 400, never a 500."""

from __future__ import annotations

import pytest

from herald.notifier.webhooks import UnparsableBody
from herald.notifier.webhooks.payload import MAX_DEPTH, parse_json

pytestmark = pytest.mark.unit


def nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_a_body_at_the_depth_limit_is_read() -> None:
    payload = parse_json(nested(MAX_DEPTH))
    for _ in range(MAX_DEPTH):
        payload = payload["a"]
    assert payload == 1


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 900, 5000])
def test_a_deeper_body_is_unparsable_naming_the_limit(levels: int) -> None:
    # 5,000 levels used to raise RecursionError out of json.loads: a 500.
    with pytest.raises(UnparsableBody, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse_json(nested(levels))


def test_an_integer_past_pythons_digit_limit_is_unparsable() -> None:
    # json.loads raises a plain ValueError (not a JSONDecodeError) for it: it used to be a 500.
    with pytest.raises(UnparsableBody, match="not valid JSON"):
        parse_json(b'{"n": ' + b"9" * 5000 + b"}")
