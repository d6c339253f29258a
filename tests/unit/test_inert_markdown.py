"""Markdown from outside renders with only http, https and mailto links, only allowed images, no HTML.

Each hostile case is checked twice: against the exact output, and by rendering that output with a
CommonMark parser (markdown-it-py, which Chainlit's own remark parser agrees with on these) to see
that no link, image or HTML survives that should not.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt

from herald.chat.inert_markdown import make_inert

pytestmark = pytest.mark.unit

PARSER = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
PARSER.validateLink = lambda url: True  # a judge that, unlike markdown-it, lets javascript: links through
HOSTS = frozenset({"img.example.com"})


def live_targets(markdown: str) -> tuple[list[str], list[str], bool]:
    """The hrefs of links, the srcs of images and whether any raw HTML tag survives, as a browser sees them."""
    hrefs: list[str] = []
    srcs: list[str] = []
    raw_html = False

    def walk(items: list) -> None:  # type: ignore[type-arg]
        nonlocal raw_html
        for token in items:
            if token.type == "link_open":
                hrefs.append(str(token.attrGet("href")))
            elif token.type == "image":
                srcs.append(str(token.attrGet("src")))
            elif token.type in ("html_inline", "html_block"):
                raw_html = True
            if token.children:
                walk(token.children)

    walk(PARSER.parse(markdown))
    return hrefs, srcs, raw_html


HOSTILE = [
    # (input, exact output)
    ("[click](javascript:alert(1))", r"\[click\](javascript\:alert(1))"),
    ("[click](javascript:alert`1`)", r"\[click\](javascript\:alert`1`)"),
    ("[click](JaVaScRiPt:alert)", "click"),
    ("[click](jav&#x61;script:alert)", "click"),
    ("[click](&#106;avascript:alert)", "click"),
    ("[data](data:text/html;base64,PHNjcmlwdD4=)", "data"),
    ("[vb](vbscript:msgbox)", "vb"),
    ("[file](file:///etc/passwd)", "file"),
    ("[rel](/login?next=evil)", "rel"),
    ("[proto](//evil.example/x)", "proto"),
    ("[t](<javascript:alert(1)>)", r"\[t\](\<javascript\:alert(1)>)"),
    ("[t](javascript:alert \"title\")", "t"),
    ("[ref]: javascript:alert(1)\n\n[x][ref] and [ref]",
     "\\[ref\\]: javascript\\:alert(1)\n\n\\[x\\]\\[ref\\] and \\[ref\\]"),
    ("[x]\n\n[x]: https://evil.example/phish", "\\[x\\]\n\n\\[x\\]: https://evil.example/phish"),
    ("<javascript:alert(1)>", r"\<javascript\:alert(1)>"),
    ("<a href=\"javascript:alert(1)\">x</a>", r'\<a href="javascript\:alert(1)">x\</a>'),
    ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)>"),
    ("<script>alert(1)</script>", r"\<script>alert(1)\</script>"),
    ("<!-- <img src=x onerror=alert(1)> -->", r"\<!-- \<img src=x onerror=alert(1)> -->"),
    ("![t](https://evil.example/t.png)", "t"),
    ("![t](https://img.example.com.evil.example/t.png)", "t"),
    ("![t](http://img.example.com/t.png)", "t"),  # only https, even from an allowed host
    ("![t](https://user@img.example.com/t.png)", "t"),
    ("![*alt* [x]](https://evil.example/t.png)", r"\*alt\* \[x\]"),
    ("![t][ref]\n\n[ref]: https://evil.example/t.png", "!\\[t\\]\\[ref\\]\n\n\\[ref\\]: https://evil.example/t.png"),
    ("[![t](https://evil.example/t.png)](https://ok.example)", "[t](https://ok.example)"),
    ("[a [b](javascript:x) c](https://ok.example)", "[a b c](https://ok.example)"),
    ("[outer [inner](https://ok.example)](javascript:x)", "outer [inner](https://ok.example)"),
    ("[a`](https://ok.example)`](javascript:y)", r"\[a`](https://ok.example)`\](javascript\:y)"),
    ("[x<https://ok.example](javascript:y)>", r"\[x\<https://ok.example\](javascript\:y)>"),
    ("[[[[[x](https://ok.example)](https://ok.example)](https://ok.example)](javascript:y)](z)", None),
    ("\\[not a link](javascript:x)", r"\[not a link\](javascript\:x)"),
    ("[a\nb](javascript:x)", "\\[a\nb\\](javascript\\:x)"),
    ("  ```\n[x](javascript:y)\n  ```", "  \\`\\`\\`\nx\n  \\`\\`\\`"),
    ("- a\n  ```\n  code\n[x](javascript:y)\n```", "- a\n  \\`\\`\\`\n  code\nx\n```"),
    ("``` a`b\n[x](javascript:y)", "\\`\\`\\` a\\`b\nx"),
    ("`a\n[x](javascript:y)`", "\\`a\nx\\`"),
    ("xmpp:evil@example.com and XMPP:x@y", r"xmpp\:evil@example.com and XMPP\:x@y"),
    (":a[x]{href=javascript:y} ::iframe{src=https://evil.example} :::div", None),
    ("[mail](mailto:a@example.com) [web](https://ok.example/a_b?c=d&e=f)", None),
]


@pytest.mark.parametrize(("markdown", "expected"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_markdown_renders_without_live_scripts_links_or_images(markdown: str, expected: str | None) -> None:
    inert = make_inert(markdown, HOSTS)
    if expected is not None:
        assert inert == expected
    hrefs, srcs, raw_html = live_targets(inert)
    assert not raw_html
    assert srcs == []
    for href in hrefs:
        assert re.match(r"(https|mailto):", href), href


def test_the_hostile_inputs_would_be_live_without_it() -> None:
    # The cases are real threats: CommonMark makes links, images or HTML of most of them as they are.
    live = [m for m, _ in HOSTILE if any(_dangerous(*live_targets(m)))]
    assert len(live) >= 25, len(live)


def _dangerous(hrefs: list[str], srcs: list[str], raw_html: bool) -> tuple[bool, bool, bool]:
    return any(not re.match(r"(https?|mailto):", h) for h in hrefs), bool(srcs), raw_html


@pytest.mark.parametrize(
    "markdown",
    [
        "**api** is live in _eu-west_ ~~not~~ yet",
        "[the run](https://ci.example/runs/1) and <https://ci.example> and <mailto:ops@example.com>",
        "[with title](https://ci.example \"CI\") and [mail](mailto:a@example.com)",
        "`[x](javascript:y)` is how an attack looks, and ``a ` b``",
        "````json\n{\"a\": \"[x](javascript:y)\", \"b\": \"```\"}\n````\nafter",
        "| a | b |\n|---|---|\n| 1 | [x](https://ok.example) |",
        "1. one\n2. two\n\n> quote with [link](https://ok.example)",
        "a \\* b \\[c\\] d\\\ne",
        "![logo](https://img.example.com/logo.png)",
    ],
)
def test_ordinary_markdown_is_left_as_it_is(markdown: str) -> None:
    assert make_inert(markdown, HOSTS) == markdown


def test_images_are_off_without_configured_hosts() -> None:
    assert make_inert("![logo](https://img.example.com/logo.png)") == "logo"
    assert make_inert("![logo](https://IMG.example.com/logo.png)", ["Img.Example.com"]) == (
        "![logo](https://IMG.example.com/logo.png)")


def test_a_hostile_flood_is_scanned_in_linear_time() -> None:
    # 16 KiB, the event body's limit, of the patterns that make naive scanners quadratic.
    for flood in ("[" * 16384, "[a](" * 4096, "`" + "a`" * 8000, "``a`" * 4096, "![" * 8192, "<" * 16384):
        started = time.perf_counter()
        inert = make_inert(flood)
        assert time.perf_counter() - started < 0.5, flood[:8]
        assert live_targets(inert)[1] == []


def test_the_chat_renders_every_message_inert_with_the_configured_image_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from herald.chat import config, render
    from herald.contract.events import Event

    event = Event(id="evt_1", target={"user": "alice"}, title="[t](javascript:x)", source="tests",
                  created_at=datetime.now(UTC),
                  body="![a](https://img.example.com/a.png) ![b](https://evil.example/b.png) <b>x</b>")
    monkeypatch.setenv("HERALD_IMAGE_HOSTS", " Img.Example.com, cdn.example ,")
    config.image_hosts.cache_clear()
    try:
        assert config.image_hosts() == {"img.example.com", "cdn.example"}
        assert render.message_content(event) == (
            "**Info · t**\n\n![a](https://img.example.com/a.png) b \\<b>x\\</b>")
        monkeypatch.delenv("HERALD_IMAGE_HOSTS")
        config.image_hosts.cache_clear()
        assert render.message_content(event).endswith("\n\na b \\<b>x\\</b>")  # none by default
    finally:
        config.image_hosts.cache_clear()
