"""What a notification looks like (services/chat/notification_view.py), and its ack buttons' signatures."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from chainlit.action import Action
from chainlit.element import Image

from herald.chat import notification_view as view
from herald.chat import resumed_view
from herald.chat.ack_signature import ANY_USER, ack_key, signed_payload, verified_event
from herald.contract.events import Event, Severity

pytestmark = pytest.mark.unit

HOSTS = {"img.example"}
KEY = ack_key("a secret")


def event(**fields: Any) -> Event:
    return Event.model_validate({"id": "ci:7", "target": {"user": "alice"}, "body": "The canary is **down**.",
                                 "source": "ci", "created_at": datetime(2026, 1, 2, tzinfo=UTC), **fields})


def live_links(markdown: str) -> list[str]:
    return re.findall(r"(?<!\\)\]\(([^)]*)\)", markdown) + re.findall(r"(?<!\\)<(https?:[^>]*)>", markdown)


@pytest.mark.parametrize("severity", list(Severity))
def test_each_severity_has_an_svg_icon_and_a_label_never_an_emoji(severity: Severity) -> None:
    shown = event(severity=severity, title="Disk")
    assert view.content(shown, HOSTS).startswith(f"**{severity.value.capitalize()} · Disk**")
    assert view.metadata(shown)["icon"] == view.SEVERITY_ICON[severity]
    assert all(ord(char) < 0x2000 for char in view.content(shown, HOSTS))  # no emoji, no symbol font needed


def test_the_url_links_the_title_and_link_actions_are_links_under_the_body() -> None:
    shown = event(title="Deploy failed", url="https://ci.example/runs/(7)",
                  actions=[{"type": "link", "label": "Logs", "url": "http://ci.example/logs"},
                           {"type": "ack", "label": "On it"}])
    assert view.content(shown, HOSTS) == (
        "**Info · [Deploy failed](https://ci.example/runs/%287%29)**\n\nThe canary is **down**.\n\n"
        "[Logs](http://ci.example/logs)")
    assert view.content(event(url="https://ci.example/x"), HOSTS).endswith("\n\n<https://ci.example/x>")


def test_hostile_titles_and_labels_stay_text() -> None:
    shown = event(title="[x](javascript:alert(1)) <img src=x onerror=alert(1)> `code", url="https://ci.example/",
                  actions=[{"type": "link", "label": "](javascript:alert(1))", "url": "https://ok.example/"}])
    markdown = view.content(shown, HOSTS)
    # Herald's own links stay live, with the hostile text as their text; nothing else is a link or HTML.
    assert live_links(markdown) == ["https://ci.example/", "https://ok.example/"], markdown
    assert "<img" not in markdown.replace("\\<img", "")


def test_an_image_is_an_element_on_an_allowed_host_and_a_link_elsewhere() -> None:
    allowed = event(image="https://img.example/graph.png", title="Graph")
    [element] = view.image_elements(allowed, HOSTS, "message-1", "thread-1")
    # The keys and values cl.Image(url=..., display="inline").to_dict() gives, with Herald's fixed id.
    expected = Image(url=allowed.image, name="Graph", display="inline", thread_id="thread-1", for_id="message-1",
                     id=element["id"]).to_dict()
    assert element == expected
    assert element == view.image_elements(allowed, HOSTS, "message-1", "thread-1")[0]  # the same id again
    assert "[Image]" not in view.content(allowed, HOSTS)

    elsewhere = event(image="https://tracker.example/pixel.png")
    assert view.image_elements(elsewhere, HOSTS, "message-1", "thread-1") == []
    assert view.content(elsewhere, HOSTS).endswith("[Image](https://tracker.example/pixel.png)")
    assert view.metadata(elsewhere)["herald_image"] == "https://tracker.example/pixel.png"  # kept for history


def test_ack_buttons_are_chainlit_actions_with_fixed_ids_and_signed_payloads() -> None:
    shown = event(actions=[{"type": "link", "label": "Logs", "url": "https://a.example"},
                           {"type": "ack", "label": "Seen"}, {"type": "ack", "label": "On it"}])

    def sign(event_id: str, label: str) -> dict[str, str]:
        return signed_payload(KEY, event_id, "alice", label)

    buttons = view.ack_actions(shown, "message-1", sign)
    assert [button["label"] for button in buttons] == ["Seen", "On it"]
    assert buttons == view.ack_actions(shown, "message-1", sign)  # showing it again replaces, not adds
    assert len({button["id"] for button in buttons}) == 2
    assert buttons[0] != view.ack_actions(shown, "message-2", sign)[0]
    for button in buttons:
        assert set(button) == set(Action(name="x", payload={}).to_dict())
        assert button["name"] == view.ACK_ACTION and button["forId"] == "message-1"
        assert verified_event(KEY, button["payload"], "alice") == ("ci:7", button["label"])
        assert verified_event(KEY, button["payload"], "mallory") is None  # not shown to mallory


def test_a_signature_holds_only_for_what_it_signed() -> None:
    payload = signed_payload(KEY, "ci:7", "alice", "Seen")
    for forged in ({**payload, "event": "ci:8"}, {**payload, "label": "Other"}, {**payload, "for": "mallory"},
                   {**payload, "for": ANY_USER}, {**payload, "sig": "0" * 64}, {"event": "ci:7"}, "ci:7", None):
        assert verified_event(KEY, forged, "alice") is None
        assert verified_event(KEY, forged, "mallory") is None
    assert verified_event(ack_key("another secret"), payload, "alice") is None
    broadcast = signed_payload(KEY, "ci:9", ANY_USER, "Seen")  # a live broadcast: any user saw it
    assert verified_event(KEY, broadcast, "mallory") == ("ci:9", "Seen")


def test_acknowledged_shows_who_and_when_and_keeps_it_in_the_metadata() -> None:
    shown = event(actions=[{"type": "ack", "label": "Seen"}])
    acknowledged = view.Acknowledged(by="a_b.c", at=datetime(2026, 12, 6, 15, 20, 1, tzinfo=UTC))
    assert view.content(shown, HOSTS, acknowledged).endswith("*Acknowledged by a\\_b\\.c at 2026-12-06 15:20 UTC*")
    metadata = view.metadata(shown, acknowledged)
    assert metadata["herald_acknowledged"] == {"by": "a_b.c", "at": "2026-12-06T15:20:01+00:00"}
    assert metadata["herald_actions"] == [{"type": "ack", "label": "Seen"}]
    assert "herald_acknowledged" not in view.metadata(shown)


def test_a_toast_is_one_bounded_line_of_text_typed_by_severity() -> None:
    assert view.toast(event(title="Backup", body="done\n\nin  3 min", severity="success")) == (
        "Backup: done in 3 min", "success")
    text, kind = view.toast(event(body="x" * 5000, severity="error"))
    assert len(text) == view.MAX_TOAST_CHARACTERS and text.endswith("…") and kind == "error"


def test_a_step_back_from_history_gets_its_image_and_unacknowledged_buttons_back() -> None:
    shown = event(title="Graph", image="https://img.example/g.png", actions=[{"type": "ack", "label": "Seen"}])

    def sign(event_id: str, label: str) -> dict[str, str]:
        return signed_payload(KEY, event_id, "alice", label)

    live = {"id": "message-1", "threadId": "thread-1", "output": view.content(shown, HOSTS),
            "metadata": view.metadata(shown)}
    as_sqlite_gives_it = {**live, "metadata": json.dumps(live["metadata"])}  # JSON columns come back as text
    for kept in (live, as_sqlite_gives_it):
        elements, buttons = resumed_view.resumed_extras(kept, HOSTS, sign)
        assert elements == view.image_elements(shown, HOSTS, "message-1", "thread-1")
        assert buttons == view.ack_actions(shown, "message-1", sign)  # the same ids as when shown live
    assert resumed_view.resumed_extras(live, (), sign)[0] == []  # the image policy holds after a reload too

    by_alice = view.Acknowledged("alice", datetime(2026, 1, 2, tzinfo=UTC))
    acknowledged = resumed_view.acknowledged_step(as_sqlite_gives_it, by_alice)
    assert acknowledged["output"] == view.content(shown, HOSTS, by_alice)  # as if shown acknowledged live
    assert acknowledged["metadata"]["herald_acknowledged"]["by"] == "alice"
    assert resumed_view.resumed_extras(acknowledged, HOSTS, sign)[1] == []  # no button once acknowledged
    assert resumed_view.resumed_extras({"id": "m", "metadata": "not json"}, HOSTS, sign) == ([], [])
    apps_own = {"id": "m", "metadata": {"title": "an app's own message"}}
    assert resumed_view.resumed_extras(apps_own, HOSTS, sign) == ([], [])
