"""Text a third party controls (an issue title, a commit message, an alert label) is inert in every
built-in template: escaped by default, so it shows as written and makes no link, image or HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from herald.contract.events import EventRequest
from herald.notifier.webhooks import Ignored, parse_sources, render_delivery
from herald.notifier.webhooks.markdown_text import code, escape_markdown, link, verbatim
from herald.notifier.webhooks.verification import VerifiedDelivery
from tests.support.published_webhooks import Example, published_examples

pytestmark = pytest.mark.unit

# As GitHub-flavoured markdown reads it: bare URLs become links too.
JUDGE = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])
JUDGE.validateLink = lambda url: True
HOSTILE = ("[x](https://evil.example/a) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> "
           "https://evil.example/bare www.evil.example\n- item\n# heading\n> quote\n1. one | a | b |")
URL_KEYS = re.compile(r"(^|_)(url|href)$|URL$")  # the senders' own links, which templates link on purpose


def hostile(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, key) for v in value]
    if isinstance(value, str) and not URL_KEYS.search(key) and key not in ("action", "status", "type", "state",
                                                                             "conclusion", "ref", "currency"):
        return HOSTILE
    return value


def live(markdown: str) -> tuple[list[str], int, bool]:
    hrefs: list[str] = []
    images = 0
    html = False

    def walk(tokens: list[Any]) -> None:
        nonlocal images, html
        for token in tokens:
            if token.type == "link_open":
                hrefs.append(str(token.attrGet("href")))
            images += token.type == "image"
            html = html or token.type in ("html_inline", "html_block")
            walk(token.children or [])

    walk(JUDGE.parse(markdown))
    return hrefs, images, html


def sample() -> list[Example]:
    seen: dict[tuple[str, str], Example] = {}
    for example in published_examples():
        if example.expected() == "shown":
            seen.setdefault((example.sender, example.kind), example)
    return list(seen.values())


SAMPLE = sample()


@pytest.mark.parametrize("example", SAMPLE, ids=[e.label() for e in SAMPLE])
def test_hostile_sender_text_makes_no_link_image_or_html(example: Example) -> None:
    payload = hostile(example.payload)
    table = {"template": example.sender, "default_target": "ops",
             "verification": {"scheme": "token", "header": "X", "secrets": ["t"]}}
    source = parse_sources({"sources": {"s": table}})["s"]
    headers = {"x-github-event": example.kind} if example.sender == "github" else {}
    rendered = render_delivery(source, VerifiedDelivery("s", "d", json.dumps(payload).encode(), headers))
    if isinstance(rendered, Ignored):
        return
    assert isinstance(rendered, EventRequest)
    for markdown in (f"**{rendered.title}**", rendered.body):
        hrefs, images, html = live(markdown)
        assert images == 0 and not html, markdown
        assert [h for h in hrefs if "evil.example" in h] == [], markdown
    if example.kind in ("issues", "pull_request", "push", "release") or example.sender != "github":
        # The sender's text is there, as a reader sees it (escaped, or in a code span).
        assert "[x](https:" in re.sub(r"\\(.)", r"\1", (rendered.title or "") + rendered.body)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
        ("![t](https://e/t.png)", "!\\[t\\](https:\u200b//e/t.png)"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
        ("*bold* _em_ ~~del~~ `code` a|b", r"\*bold\* \_em\_ \~\~del\~\~ \`code\` a\|b"),
        ("- item\n+ item\n# head\n> quote\n1. one\n2) two\n---\n===", "\\- item\n\\+ item\n\\# head\n\\> quote\n"
         "1\\. one\n2\\) two\n\\---\n\\==="),
        ("check_run v1.2.3 AT&T 12:30 wow!", "check_run v1.2.3 AT&T 12:30 wow!"),  # nothing to escape
        ("see www.evil.example", "see www\u200b.evil.example"),
    ],
)
def test_escaping_shows_the_text_as_written(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped
    hrefs, images, html = live(escaped)
    assert (hrefs, images, html) == ([], 0, False)


def test_the_markdown_building_filters() -> None:
    assert link("https://github.com/a/b/pull/1", "#1 [evil](https://evil.example)") == (
        r"[#1 \[evil\](https:" "\u200b" r"//evil.example)](https://github.com/a/b/pull/1)")
    assert link("javascript:alert(1)", "click") == "click"  # only http, https and mailto are linked
    assert link("https://x.example/a b(c)<d>", "t") == "[t](https://x.example/a%20b%28c%29%3Cd%3E)"
    assert link(None, "text") == "text"
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code(None) == ""
    assert verbatim("**mine**") == "**mine**"
