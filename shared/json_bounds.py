"""How deep parsed JSON nests, and how long its integers are, measured without recursion.

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
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def has_integer_longer_than(value: Any, digits: int) -> bool:
    """True when `value` holds an integer (not a bool) of more than `digits` digits."""
    bound = 10**digits
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= bound:
            return True
    return False
