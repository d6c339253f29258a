"""Reading a verified body as JSON, and picking a value out of it by a dotted path like `data.id`."""

from __future__ import annotations

import json
from typing import Any

from herald.contract.json_bounds import nests_deeper_than
from herald.notifier.webhooks.errors import UnparsableBody

# Real senders' payloads nest under 10 levels; the bound keeps the parser, the templates and the
# event's serializers well inside their own limits (a 5,000-deep body used to be a 500).
MAX_DEPTH = 64
_TOO_DEEP = f"the body nests deeper than {MAX_DEPTH} levels"


def parse_json(body: bytes) -> Any:
    try:
        payload = json.loads(body)
    except ValueError as exc:  # invalid UTF-8 and JSON, and an integer past 4,300 digits (Python's own limit)
        raise UnparsableBody(f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # json gives up near Python's recursion limit, ~1,000 levels
        raise UnparsableBody(_TOO_DEEP) from None
    if nests_deeper_than(payload, MAX_DEPTH):
        raise UnparsableBody(_TOO_DEEP)
    return payload


def lookup_path(payload: Any, path: str) -> Any:
    """Follow `path` through objects (by key) and arrays (by index); `KeyError` when it leads nowhere."""
    node = payload
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(path)
    return node
