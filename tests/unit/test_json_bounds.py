"""Depth of parsed JSON, measured without recursion."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from herald.contract.json_bounds import nests_deeper_than, out_of_bounds

pytestmark = pytest.mark.unit


def nested(levels: int, inner: Any = 1) -> Any:
    """`levels` containers, objects and arrays in turn, around `inner`."""
    value = inner
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("levels", [1, 2, 31, 32])
def test_up_to_the_limit_is_within(levels: int) -> None:
    assert not nests_deeper_than(nested(levels), 32)
    assert nests_deeper_than(nested(levels + 1), levels)


def test_scalars_and_empty_containers_count_as_expected() -> None:
    assert not nests_deeper_than("text", 0)
    assert nests_deeper_than({}, 0) and not nests_deeper_than({}, 1)
    assert nests_deeper_than({"a": 1, "b": [[]]}, 2) and not nests_deeper_than({"a": 1, "b": [[]]}, 3)


def test_the_deepest_branch_counts_wherever_it_is() -> None:
    wide = {"shallow": [1, 2, {"x": 3}], "deep": [nested(10)], "after": "z"}  # 1 + 1 + 10 levels
    assert nests_deeper_than(wide, 12) is False
    assert nests_deeper_than(wide, 11) is True


def test_far_past_the_recursion_limit_is_measured_without_recursing() -> None:
    assert nests_deeper_than(nested(sys.getrecursionlimit() * 5), 64)


def test_integer_length_is_found_anywhere_and_bools_and_floats_are_not_integers() -> None:
    assert out_of_bounds({"a": [99, -99, True, 1e300, "1" * 500]}, 8, 2) is None
    assert out_of_bounds({"a": [1, {"b": [-100]}]}, 8, 2) == "holds an integer of over 2 digits"
    assert out_of_bounds([10**99 - 1, -(10**99) + 1], 8, 99) is None
    assert out_of_bounds([10**99], 8, 99) == "holds an integer of over 99 digits"
    assert out_of_bounds(10**99, 8, 99) == "is an integer of over 99 digits"
    assert out_of_bounds([[[1]]], 2, 99) == "nests deeper than 2 levels"
