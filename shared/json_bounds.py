"""How deep parsed JSON nests and how long its integers are, measured in one pass without recursion.

Every JSON parser and serializer on an event's way has its own depth limit, and they differ:
the notifier's orjson reads 1,024 levels but writes 255, pydantic's serializer writes 256, the chat's
decoder (pydantic's jiter) reads 200 and Python's json module gives up near its recursion limit.
Herald refuses deep input at the edge, well under all of them, so nothing accepted fails later. A
recursive walk would itself hit Python's recursion limit on the hostile input it is meant to refuse.
"""

from __future__ import annotations

from typing import Any


def nests_deeper_than(value: Any, limit: int) -> bool:
    """True when `value` has containers nested more than `limit` deep (an object or array counts as
    1, one inside it as 2; scalars count 0). Stops at the first container past the limit."""
    return out_of_bounds(value, limit, None) is not None


def out_of_bounds(value: Any, max_depth: int, max_integer_digits: int | None) -> str | None:
    """Why `value` is past a bound: it nests deeper than `max_depth` (counted as `nests_deeper_than`
    does), or holds an integer (not a bool) of more than `max_integer_digits` digits; None if neither."""
    bound = None if max_integer_digits is None else 10**max_integer_digits

    def too_long(scalar: Any) -> bool:
        return bound is not None and type(scalar) is int and abs(scalar) >= bound  # `type`: a bool is no int

    if not isinstance(value, dict | list):
        return f"is an integer of over {max_integer_digits} digits" if too_long(value) else None
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return f"nests deeper than {max_depth} levels"
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif too_long(child):
                return f"holds an integer of over {max_integer_digits} digits"
    return None
