"""The one Jinja environment every webhook template renders in, with the few filters they need.

Templates come from the operator's config, payloads from outside; payload values are only ever data,
never compiled as templates. The immutable sandbox is defence in depth against a careless template:
no dunder access, no mutating the payload, bounded `range`. Autoescape is off because the output is
markdown, not HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.notifier.webhooks.errors import RenderError

EXCERPT_BYTES = 2048

# ISO 4217 currencies Stripe counts in whole units or in thousandths, not hundredths.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof",
     "xpf"}
)
_THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def money(amount: int, currency: str) -> str:
    code = currency.lower()
    places = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return f"{amount / 10**places:,.{places}f} {code.upper()}"


def json_excerpt(value: Any, limit: int = EXCERPT_BYTES) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if len(text.encode()) <= limit:
        return text
    return text.encode()[:limit].decode(errors="ignore") + "\n…"


def code_block(text: str, language: str = "") -> str:
    # The fence must be longer than any backtick run inside, or payload text could close it early.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def utc_time(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


_ENV = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
_ENV.filters.update(
    money=money, json_excerpt=json_excerpt, code_block=code_block, first_line=first_line, utc_time=utc_time
)


@lru_cache(maxsize=512)
def compile_template(source: str) -> Template:
    return _ENV.from_string(source)


def check_syntax(source: str) -> str:
    """For config validators: the template itself, or a ValueError naming the line."""
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return source


def render_text(source: str, context: Mapping[str, Any], what: str) -> str:
    try:
        return compile_template(source).render(context).strip()
    # The template is operator code run on outside data: any failure (undefined field, sandbox
    # refusal, a filter given the wrong type) means this payload cannot become this message.
    except Exception as exc:
        raise RenderError(f"the {what} template failed: {exc}") from None


def render_optional(source: str, context: Mapping[str, Any], what: str) -> str | None:
    """Like `render_text`, but a missing field gives None instead of an error (e.g. no sender identity)."""
    try:
        return compile_template(source).render(context).strip() or None
    except UndefinedError:
        return None
    except Exception as exc:
        raise RenderError(f"the {what} template failed: {exc}") from None
