"""A Herald message read back from a thread's history, as it was shown live: pure functions of the step.

Chainlit's data layers keep a message's text and metadata, but not its action buttons, and Herald does
not write its image elements there (render.py says why). The step's metadata says what they were
(notification_view.metadata), so they are made again, with the ids they had live.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from herald.chat.inert_markdown import allowed_image
from herald.chat.notification_view import (
    Acknowledged,
    Signer,
    ack_buttons,
    acknowledged_line,
    image_element,
)


def resumed_extras(step: Mapping[str, Any], image_hosts: Collection[str],
                   sign: Signer) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The image element and the ack buttons (unless acknowledged) of a Herald step read back from a
    thread's history, which keeps neither (only the step's metadata says what they were)."""
    metadata = step_metadata(step)
    event_id, message_id = metadata.get("herald_event_id"), step.get("id")
    if not isinstance(event_id, str) or not isinstance(message_id, str):
        return [], []
    hosts = frozenset(host.lower() for host in image_hosts)
    image, title = metadata.get("herald_image"), metadata.get("title")
    elements = [image_element(image, title if isinstance(title, str) and title else "image", message_id,
                               str(step.get("threadId") or ""))] \
        if isinstance(image, str) and allowed_image(image, hosts) else []
    if metadata.get("herald_acknowledged"):
        return elements, []
    labels = [str(action["label"]) for action in metadata.get("herald_actions") or ()
              if isinstance(action, dict) and action.get("type") == "ack" and isinstance(action.get("label"), str)]
    return elements, ack_buttons(event_id, labels, message_id, sign)


def acknowledged_step(step: Mapping[str, Any], acknowledged: Acknowledged) -> dict[str, Any]:
    """A step read back from history, acknowledged: the line `content` ends with, and the metadata."""
    metadata = step_metadata(step)
    metadata["herald_acknowledged"] = acknowledged.as_metadata()
    return {**step, "output": f"{step.get('output') or ''}\n\n{acknowledged_line(acknowledged)}",
            "metadata": metadata}


def step_metadata(step: Mapping[str, Any]) -> dict[str, Any]:
    """A step's metadata as a dict: a data layer on SQLite hands it back as JSON text."""
    metadata = step.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return dict(metadata) if isinstance(metadata, dict) else {}
