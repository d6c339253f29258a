"""The one Jinja environment every webhook template renders in, with the few filters they need.

Templates come from the operator's config, payloads from outside; payload values are only ever data,
never compiled as templates. The immutable sandbox is defence in depth against a careless template:
no dunder access, no mutating the payload, bounded `range`. Jinja's autoescape is off because the output
is markdown, not HTML; markdown escaping is done instead by `finalize` (see `markdown_text`).

A missing field is not an error: senders add and drop fields across versions (GitHub Enterprise Server
3.1-3.5 sends no `display_title`), so an absent value prints as nothing and can be read further
(`payload.a.b.c`), and templates choose fallbacks with `or` and `default`. What still fails (a filter
given the wrong type, a sandbox refusal) is a `RenderError`, and the caller shows the delivery generically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from herald.notifier.webhooks.errors import RenderError
from herald.notifier.webhooks.markdown_text import code, code_block, escape_output, link, safe_url, verbatim

EXCERPT_BYTES = 2048

# ISO 4217 currencies Stripe counts in whole units or in thousandths, not hundredths.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof",
     "xpf"}
)
_THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def money(amount: Any, currency: Any) -> str:
    """`4900, 'eur'` -> `49.00 EUR`; nothing when either is missing or not what Stripe sends."""
    if not isinstance(amount, int | float) or isinstance(amount, bool) or not isinstance(currency, str):
        return ""
    code = currency.lower()
    places = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return f"{amount / 10**places:,.{places}f} {code.upper()}"


def json_excerpt(value: Any, limit: int = EXCERPT_BYTES) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if len(text.encode()) <= limit:
        return text
    return text.encode()[:limit].decode(errors="ignore") + "\n…"


def first_line(text: Any) -> str:
    text = "" if text is None else str(text)
    return text.strip().splitlines()[0] if text.strip() else ""


def utc_time(epoch_seconds: Any) -> str:
    if not isinstance(epoch_seconds, int | float) or isinstance(epoch_seconds, bool):
        return ""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def ref_name(ref: Any) -> str:
    """`refs/heads/main` -> `main`, `refs/tags/v1` -> `v1`; anything else as it is."""
    text = "" if ref is None else str(ref)
    return re.sub(r"^refs/(heads|tags)/", "", text)


def _environment(finalize: Any) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=False, undefined=ChainableUndefined, finalize=finalize, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(
        money=money, json_excerpt=json_excerpt, code_block=code_block, code=code, link=link, verbatim=verbatim,
        first_line=first_line, utc_time=utc_time, ref_name=ref_name,
    )
    env.tests["linkable"] = lambda url: safe_url(url) is not None  # `{% if x is linkable %}`
    return env


# Titles and bodies are markdown, so what they print is escaped; identities and severities are
# looked up, not shown, so they print values as they are (JSON null as nothing).
_MARKDOWN = _environment(escape_output)
_PLAIN = _environment(lambda value: "" if value is None else value)


@lru_cache(maxsize=512)
def compile_template(source: str, markdown: bool = True) -> Template:
    return (_MARKDOWN if markdown else _PLAIN).from_string(source)


def check_syntax(source: str) -> str:
    """For config validators: the template itself, or a ValueError naming the line."""
    try:
        compile_template(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return source


def render_markdown(source: str, context: Mapping[str, Any], what: str) -> str:
    return _render(source, context, what, markdown=True)


def render_plain(source: str, context: Mapping[str, Any], what: str) -> str | None:
    """Unescaped; nothing rendered gives None (e.g. no sender identity in the payload)."""
    return _render(source, context, what, markdown=False) or None


def _render(source: str, context: Mapping[str, Any], what: str, markdown: bool) -> str:
    try:
        return compile_template(source, markdown).render(context).strip()
    # The template is operator code run on outside data: any failure (sandbox refusal, a filter
    # given the wrong type) means this payload cannot become this message.
    except Exception as exc:
        raise RenderError(f"the {what} template failed: {exc}") from None
