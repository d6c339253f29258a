"""What a notification looks like in the chat: pure functions of an event, no Chainlit calls.

- The severity is an icon and a label. The icon is a Lucide icon that Chainlit's frontend draws as an
  inline SVG in place of the author's avatar (`metadata["icon"]`, read by its message avatar), so it
  needs no emoji font (Debian's Chromium draws ✅ as an empty box) and no file of the app's, and it keeps
  `unsafe_allow_html` off. The label starts the heading: "Warning · Disk full".
- `url` links the title (or, without a title, shows itself as a link under the body).
- `image` is an image element when its host is one of HERALD_IMAGE_HOSTS, the policy markdown images in
  bodies follow (an image is fetched by every browser that shows the message: a tracking pixel, or a
  request into the intranet); otherwise it is a link to the image. It is always https (shared/events.py).
- Link actions are links in a line under the body: Chainlit 2.12's action buttons only call back to the
  server, and none can open a URL. Ack actions are Chainlit action buttons (ack_signature.py signs them).
- `display: "toast"` is a toast: one line of plain text (the frontend shows it as text, not markdown).
Everything is made inert (inert_markdown.py) after it is put together, Herald's own links included.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from herald.chat.inert_markdown import allowed_image, make_inert
from herald.contract.events import Event, Severity
from herald.contract.rich_fields import AckAction, LinkAction

SEVERITY_ICON = {  # Lucide icon names, all in the icon set Chainlit's frontend bundles
    Severity.INFO: "info",
    Severity.SUCCESS: "circle-check",
    Severity.WARNING: "triangle-alert",
    Severity.ERROR: "octagon-x",
}
SEVERITY_LABEL = {severity: severity.value.capitalize() for severity in Severity}
ACK_ACTION = "herald_ack"  # the Chainlit action name Herald's callback answers to (acknowledgements.py)
ToastType = Literal["info", "success", "warning", "error"]  # Chainlit's
TOAST_TYPE: dict[Severity, ToastType] = {Severity.INFO: "info", Severity.SUCCESS: "success",
                                         Severity.WARNING: "warning", Severity.ERROR: "error"}
MAX_TOAST_CHARACTERS = 300
Signer = Callable[[str, str], dict[str, str]]  # (event id, label) -> a signed payload
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINK_TEXT_SPECIAL = re.compile(r"([\\\[\]`<])")
# Characters a markdown link destination may not hold bare (inert_markdown.py keeps only destinations
# without them): percent-encoded, the URL means the same.
_UNSAFE_IN_DESTINATION = {"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C", "`": "%60"}


@dataclass(frozen=True)
class Acknowledged:
    by: str
    at: datetime

    def as_metadata(self) -> dict[str, str]:
        return {"by": self.by, "at": self.at.isoformat()}


def content(event: Event, image_hosts: Collection[str], acknowledged: Acknowledged | None = None) -> str:
    """The message's markdown: severity label and title, body, links, and the acknowledgement."""
    label = SEVERITY_LABEL[event.severity]
    title = event.title
    if title and event.url:
        title = f"[{link_text(title)}]({destination(event.url)})"
    parts = [f"**{label} · {title}**" if title else f"**{label}**", event.body]
    links = [f"[{link_text(action.label)}]({destination(action.url)})" for action in event.actions or ()
             if isinstance(action, LinkAction)]
    if event.url and not event.title:
        links.insert(0, f"<{event.url}>")
    if event.image and not shows_image(event, image_hosts):
        links.append(f"[Image]({destination(event.image)})")
    if links:
        parts.append(" · ".join(links))
    if acknowledged is not None:
        parts.append(acknowledged_line(acknowledged))
    return make_inert("\n\n".join(parts), image_hosts)


def metadata(event: Event, acknowledged: Acknowledged | None = None) -> dict[str, Any]:
    """The step's metadata: what Herald and a data layer keep, and the severity icon the frontend draws.
    The image and the actions are kept too, so that history can show them again after a reload."""
    kept: dict[str, Any] = {"herald_event_id": event.id, "severity": event.severity.value, "title": event.title,
                            "source": event.source, "data": event.data, "icon": SEVERITY_ICON[event.severity]}
    if event.url:
        kept["herald_url"] = event.url
    if event.image:
        kept["herald_image"] = event.image
    if event.actions:
        kept["herald_actions"] = [action.model_dump() for action in event.actions]
    if acknowledged is not None:
        kept["herald_acknowledged"] = acknowledged.as_metadata()
    return kept


def shows_image(event: Event, image_hosts: Collection[str]) -> bool:
    return event.image is not None and allowed_image(event.image, frozenset(h.lower() for h in image_hosts))


def image_elements(event: Event, image_hosts: Collection[str], message_id: str, thread_id: str) -> list[dict[str, Any]]:
    """The image element, as `cl.Image(url=..., display="inline").to_dict()` gives it, for `message_id`."""
    if event.image is None or not shows_image(event, image_hosts):
        return []
    return [image_element(event.image, event.title or "image", message_id, thread_id)]


def ack_actions(event: Event, message_id: str, sign: Signer) -> list[dict[str, Any]]:
    """The ack buttons, as `cl.Action(...).to_dict()` gives them, each payload signed by `sign(event id,
    label)` (ack_signature.py) so that a click can only acknowledge what it was shown. Their ids are
    fixed per message: showing the message again replaces its buttons instead of adding more."""
    labels = [action.label for action in event.actions or () if isinstance(action, AckAction)]
    return ack_buttons(event.id, labels, message_id, sign)


def ack_buttons(event_id: str, labels: list[str], message_id: str, sign: Signer) -> list[dict[str, Any]]:
    return [{"name": ACK_ACTION, "payload": sign(event_id, label), "label": label,
             "tooltip": "Tell the sender you have seen this", "icon": "check", "forId": message_id,
             "id": _child_id(message_id, f"ack:{index}")}
            for index, label in enumerate(labels)]


def image_element(url: str, name: str, message_id: str, thread_id: str) -> dict[str, Any]:
    return {"id": _child_id(message_id, "image"), "threadId": thread_id, "type": "image", "url": url,
            "chainlitKey": None, "name": name, "display": "inline", "objectKey": None, "size": "medium",
            "props": None, "page": None, "autoPlay": None, "playerConfig": None, "language": None,
            "forId": message_id, "mime": None}


def toast(event: Event) -> tuple[str, ToastType]:
    """A toast's text and type: the title and the body, in one bounded line."""
    text = " ".join(f"{event.title}: {event.body}".split()) if event.title else " ".join(event.body.split())
    if len(text) > MAX_TOAST_CHARACTERS:
        text = text[: MAX_TOAST_CHARACTERS - 1] + "…"
    return text, TOAST_TYPE[event.severity]


def acknowledged_line(acknowledged: Acknowledged) -> str:
    return f"*Acknowledged by {escape(acknowledged.by)} at {acknowledged.at:%Y-%m-%d %H:%M} UTC*"


def destination(url: str) -> str:
    return "".join(_UNSAFE_IN_DESTINATION.get(char, char) for char in url)


def link_text(text: str) -> str:
    """Text that stays a link's text: what could end the link or cross its bracket escaped (a backtick
    or `<` inside it would make inert_markdown.py drop the link)."""
    return _LINK_TEXT_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def escape(text: str) -> str:
    """Text shown as itself in markdown: every punctuation mark escaped."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _child_id(message_id: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"herald:{message_id}:{what}"))
