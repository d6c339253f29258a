"""The rich fields of an event (url, image, actions, display): what is accepted, what is refused and
where the refusal points, and that the JSON Schema the OpenAPI document shows says the same."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from herald.contract.events import Event, EventRequest
from herald.contract.rich_fields import MAX_ACTIONS, MAX_LABEL_LENGTH, MAX_URL_LENGTH

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = {"target": {"user": "a"}, "body": "x"}
ACK = {"type": "ack", "label": "Seen"}
LINK = {"type": "link", "label": "Logs", "url": "https://ci.example/logs"}

ACCEPTED: list[dict[str, Any]] = [
    {"url": "http://ci.example"},
    {"url": "https://ci.example:8443/runs/7?tab=logs&x=%20y#step-3"},
    {"url": "https://xn--bcher-kva.example/"},  # an IDN host, in punycode
    {"image": "https://img.example/a.png"},
    {"actions": [LINK, ACK, {"type": "ack", "label": "On it"}]},
    {"actions": [ACK] * MAX_ACTIONS},
    {"actions": [{"type": "ack", "label": "é" * MAX_LABEL_LENGTH}]},
    {"actions": []},
    {"display": "toast", "title": "Backup", "severity": "success"},
    {"display": "message", "url": "https://a.example", "image": "https://a.example/i.png", "actions": [ACK]},
    {"url": "https://a.example/" + "x" * (MAX_URL_LENGTH - len("https://a.example/"))},
]

REFUSED: list[tuple[dict[str, Any], tuple[str | int, ...], str]] = [
    ({"url": "javascript:alert(1)"}, ("url",), "pattern"),
    ({"url": "data:text/html,<script>"}, ("url",), "pattern"),
    ({"url": "mailto:a@b.example"}, ("url",), "pattern"),  # a link, but not a page to open
    ({"url": "HTTPS://a.example"}, ("url",), "pattern"),  # lowercase schemes only: one spelling
    ({"url": "https://trusted.example@evil.example/"}, ("url",), "pattern"),  # a user@ part hides the host
    ({"url": "https://a.example/a b"}, ("url",), "pattern"),
    ({"url": "https://a.example/a\nb"}, ("url",), "pattern"),
    ({"url": "https://[::1]/"}, ("url",), "pattern"),
    ({"url": "https:///path"}, ("url",), "pattern"),
    ({"url": "https://a.example/é"}, ("url",), "pattern"),  # percent-encode it
    ({"url": "https://a.example/" + "x" * MAX_URL_LENGTH}, ("url",), "at most 2048"),
    ({"image": "http://img.example/a.png"}, ("image",), "pattern"),  # never a non-https image
    ({"actions": [ACK] * (MAX_ACTIONS + 1)}, ("actions",), "at most 5"),
    ({"actions": [{"type": "ack", "label": ""}]}, ("actions", 0, "ack", "label"), "at least 1"),
    ({"actions": [{"type": "ack", "label": "x" * (MAX_LABEL_LENGTH + 1)}]}, ("actions", 0, "ack", "label"),
     "at most 40"),
    ({"actions": [{"type": "link", "label": "x", "url": "javascript:x"}]}, ("actions", 0, "link", "url"), "pattern"),
    ({"actions": [{"type": "link", "label": "x"}]}, ("actions", 0, "link", "url"), "required"),
    ({"actions": [{"type": "ack", "label": "x", "url": "https://a.example"}]}, ("actions", 0, "ack", "url"),
     "Extra inputs"),
    ({"actions": [{"type": "open", "label": "x"}]}, ("actions", 0), "does not match"),
    ({"actions": [{"label": "x"}]}, ("actions", 0), "Unable to extract tag"),
    ({"display": "banner"}, ("display",), "'message' or 'toast'"),
    ({"display": "toast", "url": "https://a.example"}, ("display",), 'drop "url"'),
    ({"display": "toast", "image": "https://a.example/i.png"}, ("display",), 'drop "image"'),
    ({"display": "toast", "actions": []}, ("display",), 'drop "actions"'),
]


@pytest.mark.parametrize("fields", ACCEPTED)
def test_rich_fields_are_accepted_and_survive_the_wire(fields: dict[str, Any]) -> None:
    event = EventRequest.model_validate({**BASE, **fields}).to_event("ci")
    assert Event.from_wire(event.to_wire()) == event
    assert _schema().is_valid({**BASE, **fields})


@pytest.mark.parametrize(("fields", "where", "complaint"), REFUSED)
def test_bad_rich_fields_are_refused_naming_the_field(fields: dict[str, Any], where: tuple[str | int, ...],
                                                      complaint: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EventRequest.model_validate({**BASE, **fields})
    [error] = refused.value.errors()
    assert error["loc"] == where and complaint in error["msg"], error
    assert not _schema().is_valid({**BASE, **fields})  # the OpenAPI document refuses it too


def test_a_trailing_newline_is_refused() -> None:
    # JSON Schema's `$` (ECMA-262) and pydantic's (Rust's regex) end at the end of the text; Python's `re`,
    # which the jsonschema library uses, also before a final newline, so only the model is asked here.
    with pytest.raises(ValidationError, match="pattern"):
        EventRequest.model_validate({**BASE, "url": "https://a.example/\n"})


def test_a_message_is_left_off_the_wire_so_older_chats_read_plain_events() -> None:
    event = EventRequest.model_validate({**BASE, "display": "message"}).to_event("ci")
    assert b"display" not in event.to_wire()
    toast = EventRequest.model_validate({**BASE, "display": "toast"}).to_event("ci")
    assert Event.from_wire(toast.to_wire()).display == "toast"


def _schema() -> Draft202012Validator:
    schema = EventRequest.model_json_schema()
    return Draft202012Validator(schema)
