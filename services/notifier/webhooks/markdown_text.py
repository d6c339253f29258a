"""Sender-controlled text made inert in webhook templates: every `{{ ... }}` is escaped unless marked.

A template is markdown written by Herald or the operator; the values it inserts come from whoever
can open an issue or name an alert. So escaping is the default (the sandbox's `finalize` calls
`escape_output` on every expression), and the few filters that build markdown on purpose return
`Markdown`, which passes through: `code`, `code_block`, `link` and, for operators' own templates,
`verbatim`.

Escaping uses CommonMark's backslash escapes, which are valid before any ASCII punctuation. Inline
syntax characters are always escaped; the ones that only matter at the start of a line (lists,
headings, quotes) are escaped there, so a multi-line value cannot open a block of its own; and a bare
`https://` or `www.` gets a zero-width space, so the chat's GitHub-flavoured markdown does not link it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Undefined

LINK_SCHEMES = frozenset({"http", "https", "mailto"})

# `_` inside a word cannot emphasise (CommonMark's flanking rules), so `check_run` stays readable.
_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# At the start of a line (after indentation): a quote, heading, list item, thematic break or
# setext underline; and an ordered list item's `1.` or `1)`.
_BLOCK_MARK = re.compile(r"^([ \t]*)(>|#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|[-=]+[ \t]*$)", re.MULTILINE)
# GitHub-flavoured markdown links a bare `https://…` or `www.…`, and the chat's remark-gfm does so after
# parsing, where backslash escapes are gone: a zero-width space inside breaks its pattern instead.
_BARE_LINK = re.compile(r"(?i)(https?:|ftp:)(?=//)|(www)(?=\.)")
_ZERO_WIDTH_SPACE = "\u200b"
_ORDERED = re.compile(r"^([ \t]*\d{1,9})([.)])(?=[ \t]|$)", re.MULTILINE)


class Markdown(str):
    """Text a filter built as markdown on purpose; `escape_output` lets it through unchanged."""

    __slots__ = ()


def escape_markdown(text: str) -> str:
    return _ORDERED.sub(r"\1\\\2", _BLOCK_MARK.sub(r"\1\\\2", _escape_inline(text)))


def _escape_inline(text: str) -> str:
    escaped = _INLINE.sub(r"\\\1", text)
    return _BARE_LINK.sub(lambda m: m.group(0) + _ZERO_WIDTH_SPACE, escaped)


def escape_output(value: Any) -> Any:
    """The sandbox's `finalize`: what a `{{ ... }}` prints. JSON null prints as nothing."""
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, Markdown):
        return value
    return escape_markdown(str(value))


def verbatim(value: Any) -> Markdown:
    """For an operator's template: insert this value as markdown, unescaped (their own text only)."""
    return Markdown("" if value is None or isinstance(value, Undefined) else value)


def code(value: Any) -> Markdown:
    """An inline code span; its fence is longer than any backtick run inside, so nothing escapes it."""
    if value is None or isinstance(value, Undefined):
        return Markdown("")
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def code_block(text: Any, language: str = "") -> Markdown:
    """A fenced block; the fence is longer than any backtick run inside, so payload text cannot close it."""
    body = "" if text is None or isinstance(text, Undefined) else str(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markdown(f"{fence}{language}\n{body}\n{fence}")


def link(url: Any, text: Any = None) -> Markdown:
    """`[text](url)` when the url is http, https or mailto; else the text alone, escaped.

    The url is percent-encoded where markdown would end it early (spaces, parentheses, angle brackets).
    """
    label = _label(text if text not in (None, "") else url)
    target = safe_url(url)
    if target is None:
        return Markdown(label)
    return Markdown(f"[{label or _label(target)}]({target})")


def _label(value: Any) -> str:
    # Inside `[...]` no line starts, so only inline syntax needs escaping.
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, Markdown):
        return value
    return _escape_inline(" ".join(str(value).split()))


def safe_url(url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return None
    candidate = url.strip()
    try:
        scheme = urlsplit(candidate).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES:
        return None
    return quote(candidate, safe="/:?#[]@!$&'*+,;=%~-._")
