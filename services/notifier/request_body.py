"""Reading a JSON request body with the notifier's limits: media type, size, syntax."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from services.notifier.problems import Problem


async def read_json(request: Request, limit: int) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(415, f"Send the body as application/json (got '{media_type or 'nothing'}').")
    raw = await read_limited(request, limit)
    try:
        return orjson.loads(raw)  # several times faster than json.loads, which matters for batches
    except orjson.JSONDecodeError as exc:  # invalid UTF-8 included
        raise Problem(400, f"The body is not valid JSON: {exc}.") from exc


async def read_limited(request: Request, limit: int) -> bytes:
    """Read the body, refusing a declared size over `limit` at once and stopping as soon as the bytes pass it
    (a missing or false Content-Length cannot hide a huge body)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The body is {declared} bytes; the limit is {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"The body is over the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
