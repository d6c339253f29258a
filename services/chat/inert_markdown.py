"""Markdown made inert before the chat renders it: links only to http, https and mailto, images only
from configured hosts, no raw HTML. Pure: text in, text out.

Events carry markdown from outside (a webhook's issue title, an API client's body), and Chainlit
renders it in the user's browser. A link can hide a `javascript:` or phishing target behind friendly
text; an image is fetched as soon as the message shows (a tracking pixel, or a request to the
intranet). Sanitising the rendered HTML would be the usual answer, but that HTML is made in the
browser, so the markdown is rewritten here instead, and by allowlist: the scanner keeps a construct
only when it recognises it completely and it is allowed; anything else that could start a link, an
image or HTML (`[`, `]`, `<`, an unmatched backtick) is backslash-escaped, so CommonMark shows it as
text. An unrecognised construct therefore degrades to visible text, never to a live one:
- `[text](url)` with an allowed url is kept; with any other url (or a reference-style link, a
  footnote, a link definition) only its text remains;
- `![alt](src)` is kept only for an https `src` on an allowed host, else its alt text remains;
- `<https://…>` and `<mailto:…>` autolinks are kept; every other `<` (HTML, comments, other
  autolinks) is escaped;
- a `:` before a letter is escaped: Chainlit's markdown includes remark-directive, which makes
  `:name[…]{…}`, `::name` and `:::name` elements (even inside a word, as in `javascript:alert`),
  and GitHub-flavoured markdown links a bare `xmpp:`;
- code spans (on one line) and fenced code blocks (opened at column 0) are kept as they are: their
  content is never interpreted.

Why hand-written, not a markdown library: there is no well-kept Python library that rewrites
markdown to markdown (markdown-it-py and mistune render HTML), and rendering to HTML here would
change what Chainlit's frontend shows. The rules above follow CommonMark's precedence (left to
right, code spans before links; a link's text may not hold a backtick or `<` here, so the two can
never overlap) and are tested against hostile input in tests/unit/test_inert_markdown.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from functools import lru_cache
from urllib.parse import urlsplit

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_MAX_NESTING = 3  # links in links in links: deeper ones are escaped (CommonMark shows the innermost anyway)

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")
_DESTINATION = re.compile(r"\(([^\s()<>\\`]+)(?:[ ]+(\"[^\"\\\n]*\"|'[^'\\\n]*'))?\)")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_BACKTICKS = re.compile(r"`+")
# A backslash escape (skipped whole), a bracket, or what no link's text may span.
_BRACKET_MARKS = re.compile(r"\\[!-/:-@\[-`{-~]|[\[\]`<\n]")
_SPECIAL = re.compile(r"[\\`!\[\]<:]")  # what the scanner looks at; runs of anything else are copied


def make_inert(markdown: str, image_hosts: Collection[str] = ()) -> str:
    """The markdown with only allowed links and images live; `image_hosts` are lowercase host names."""
    hosts = frozenset(host.lower() for host in image_hosts)
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        opening = _fence_opening(lines[index])
        if opening is None:
            prose.append(lines[index])
            index += 1
            continue
        if prose:
            out.append(_Inline(hosts).scan("\n".join(prose), 0))
            prose = []
        end = _fence_end(lines, index + 1, opening)
        out.append("\n".join(lines[index:end]))
        index = end
    if prose:
        out.append(_Inline(hosts).scan("\n".join(prose), 0))
    return "\n".join(out)


def _fence_opening(line: str) -> str | None:
    # Only at column 0: an indented fence may sit in a list item or quote, which can end it early.
    match = _FENCE.fullmatch(line)
    if match is None or (match.group(1)[0] == "`" and "`" in match.group(2)):
        return None
    return match.group(1)


def _fence_end(lines: list[str], start: int, opening: str) -> int:
    """The index after the closing fence line, or the end (an unclosed fence runs to the end)."""
    closing = re.compile(rf" {{0,3}}{re.escape(opening[0])}{{{len(opening)},}}[ \t]*")
    for index in range(start, len(lines)):
        if closing.fullmatch(lines[index]):
            return index + 1
    return len(lines)


def allowed_link(destination: str) -> bool:
    target = html.unescape(destination)  # CommonMark decodes entities in destinations, so check what it will
    if any(ord(c) < 0x21 or c == "\x7f" for c in target):
        return False
    try:
        return urlsplit(target).scheme.lower() in LINK_SCHEMES
    except ValueError:
        return False


def allowed_image(source: str, hosts: frozenset[str]) -> bool:
    if not hosts:
        return False
    target = html.unescape(source)
    try:
        parts = urlsplit(target)
        return parts.scheme.lower() == "https" and (parts.hostname or "") in hosts and parts.username is None
    except ValueError:
        return False


class _Inline:
    """One pass over text without fenced blocks; links' text is scanned again, to a bounded depth."""

    def __init__(self, hosts: frozenset[str]) -> None:
        self.hosts = hosts

    def scan(self, text: str, depth: int) -> str:
        closers = _matching_brackets(text)
        out: list[str] = []
        i = 0
        while i < len(text):
            special = _SPECIAL.search(text, i)
            if special is None:
                out.append(text[i:])
                break
            if special.start() > i:
                out.append(text[i : special.start()])
                i = special.start()
            char = text[i]
            if char == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
                out.append(text[i : i + 2])
                i += 2
            elif char == "`":
                i = self._code_span(text, i, out)
            elif char == "!" and text.startswith("[", i + 1):
                i = self._image(text, i, closers, out)
            elif char == "[":
                i = self._link(text, i, closers, depth, out)
            elif char == "]":
                out.append("\\]")
                i += 1
            elif char == "<":
                match = _AUTOLINK.match(text, i)
                keep = match is not None and allowed_link(match.group(1))
                out.append(match.group(0) if match is not None and keep else "\\<")
                i = match.end() if match is not None and keep else i + 1
            elif char == ":" and text[i + 1 : i + 2].isascii() and text[i + 1 : i + 2].isalpha():
                out.append("\\:")  # not a directive's `:name` (nor `xmpp:`, which GFM links bare)
                i += 1
            else:
                out.append(char)
                i += 1
        return "".join(out)

    def _code_span(self, text: str, start: int, out: list[str]) -> int:
        opening = _BACKTICKS.match(text, start)
        assert opening is not None  # text[start] is a backtick
        run = len(opening.group(0))
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        closing = _closing_run(run).search(text, start + run, line_end)
        if closing is None:
            out.append("\\`" * run)
            return start + run
        out.append(text[start : closing.end()])
        return closing.end()

    def _image(self, text: str, start: int, closers: dict[int, int], out: list[str]) -> int:
        close = closers.get(start + 1)
        target = _DESTINATION.match(text, close + 1) if close is not None else None
        if close is None or target is None:
            out.append("!")
            return start + 1
        alt = _escape_all(text[start + 2 : close])
        if allowed_image(target.group(1), self.hosts):
            out.append(f"![{alt}]{target.group(0)}")
        else:
            out.append(alt)
        return target.end()

    def _link(self, text: str, start: int, closers: dict[int, int], depth: int, out: list[str]) -> int:
        close = closers.get(start)
        target = _DESTINATION.match(text, close + 1) if close is not None else None
        if close is None or target is None or depth >= _MAX_NESTING:
            out.append("\\[")
            return start + 1
        label = self.scan(text[start + 1 : close], depth + 1)
        out.append(f"[{label}]{target.group(0)}" if allowed_link(target.group(1)) else label)
        return target.end()


@lru_cache(maxsize=32)
def _closing_run(length: int) -> re.Pattern[str]:
    """A code span's closing run: the same number of backticks, neither more nor fewer."""
    return re.compile(rf"(?<!`)`{{{length}}}(?!`)")


def _matching_brackets(text: str) -> dict[int, int]:
    """Each `[` whose text could be a link's: its `]`, balanced, on the same line, with no backtick or
    `<` inside (those start constructs that CommonMark would let cross the bracket)."""
    pairs: dict[int, int] = {}
    open_at: list[int] = []
    for mark in _BRACKET_MARKS.finditer(text):
        char = mark.group(0)
        if char == "[":
            open_at.append(mark.start())
        elif char == "]" and open_at:
            pairs[open_at.pop()] = mark.start()
        elif char in ("`", "<", "\n"):
            open_at.clear()  # no pair may span this
    return pairs


def _escape_all(text: str) -> str:
    """Text that must show as text (an image's alt): every punctuation mark escaped."""
    return "".join("\\" + c if c in _PUNCTUATION else c for c in text.replace("\n", " "))
