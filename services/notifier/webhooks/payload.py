"""Reading a verified body as JSON, and picking a value out of it by a dotted path like `data.id`."""

from __future__ import annotations

import json
from typing import Any

from services.notifier.webhooks.errors import UnparsableBody


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnparsableBody(f"the body is not valid JSON: {exc}") from None


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
