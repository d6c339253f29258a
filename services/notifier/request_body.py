"""Reading a JSON request body with the notifier's limits: media type, size, syntax, depth."""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import Request

from herald.contract.events import MAX_DATA_DEPTH
from herald.notifier.problems import Problem

# orjson's own bound (1,024 levels), far past what the contract allows anywhere in an event.
_ORJSON_TOO_DEEP = "depth limit exceeded"
# orjson reads an integer past 64 bits as a float, silently rounded, and refuses one past a float's range.
# A body that may hold one (20 digits in a row, in a string or not) is read again with Python's json,
# which keeps integers exact; the chat's decoder reads them exactly too. Rare, so orjson stays the fast path.
_MAYBE_LONG_INTEGER = re.compile(rb"\d{20}")


async def read_json(request: Request, limit: int) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(415, f"Send the body as application/json (got '{media_type or 'nothing'}').")
    raw = await read_limited(request, limit)
    try:
        payload = orjson.loads(raw)  # several times faster than json.loads, which matters for batches
    except orjson.JSONDecodeError as exc:  # invalid UTF-8 included
        if str(exc).startswith(_ORJSON_TOO_DEEP):
            raise _too_deep() from None  # well-formed, as far as it was read: a limit, not a syntax error
        if not _MAYBE_LONG_INTEGER.search(raw):
            raise _not_json(exc) from None
        return _exactly(raw, exc)  # orjson refuses an integer past a float's range (~308 digits)
    return _exactly(raw, None) if _MAYBE_LONG_INTEGER.search(raw) else payload


def _exactly(raw: bytes, orjson_error: orjson.JSONDecodeError | None) -> Any:
    """`raw` with its integers exact; orjson's verdict stands on anything that is not JSON."""
    try:
        return json.loads(raw, parse_constant=_not_a_json_number, parse_float=_finite)
    except RecursionError:  # json recurses, and gives up near Python's limit (~1,000 levels)
        raise _too_deep() from None
    except (json.JSONDecodeError, UnicodeDecodeError, _NotJson) as exc:
        raise _not_json(orjson_error or exc) from None
    except ValueError as exc:  # an integer past 4,300 digits, Python's (and the chat's decoder's) limit
        message = f"holds a number Herald cannot carry exactly: {exc}"
        raise Problem(422, f"The event does not match the schema: (body): {message}",
                      errors=[{"field": "(body)", "message": message}]) from None


class _NotJson(ValueError):
    pass


def _not_a_json_number(constant: str) -> float:
    raise _NotJson(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _NotJson(f"{text} is past a float's range")
    return number


def _not_json(exc: Exception) -> Problem:
    return Problem(400, f"The body is not valid JSON: {exc}.")


def _too_deep() -> Problem:
    message = f"nested far deeper than the {MAX_DATA_DEPTH} levels data may have"
    return Problem(422, f"The event does not match the schema: (body): {message}",
                   errors=[{"field": "(body)", "message": message}])


# An oversized body up to this size is read to its end (and dropped) before the 413 goes out. uvicorn
# closes the connection after answering a request whose body it did not read, and the kernel then resets
# it, as unread bytes are left: a client still sending, or a proxy (nginx answers 502), may see that reset
# instead of the answer. Past this size the answer goes out at once, and such a client may see the reset.
DRAIN_BYTES = 8 * 1024 * 1024


async def read_limited(request: Request, limit: int) -> bytes:
    """Read the body, refusing a declared size over `limit` and stopping to keep bytes as soon as they pass
    it (a missing or false Content-Length cannot hide a huge body)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        await _drain(request.stream(), 0)
        raise Problem(413, f"The body is {declared} bytes; the limit is {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    body = request.stream()
    async for chunk in body:
        size += len(chunk)
        if size > limit:
            await _drain(body, size)
            raise Problem(413, f"The body is over the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(body: AsyncIterator[bytes], size: int) -> None:
    async for chunk in body:
        size += len(chunk)
        if size > DRAIN_BYTES:
            return
