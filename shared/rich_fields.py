"""What a notification may show besides its text: a link, an image, buttons, and whether it is a toast.
Part of the event contract (events.py), validated where the notifier accepts an event.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Links and images a notification shows. One regular expression is the whole rule, so the OpenAPI
# document says exactly what is accepted: a lowercase scheme, a host of letters, digits, dots and
# hyphens (IDN hosts in punycode, no IP literals, no `user@` part that could hide the real host behind
# a trusted name), an optional port, then printable ASCII (percent-encode the rest). Nothing else can
# become a link target: no `javascript:` or `data:` URL can be written this way.
MAX_URL_LENGTH = 2048
_AFTER_SCHEME = r"://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$"
HttpUrl = Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH, pattern=r"^https?" + _AFTER_SCHEME),
                    Field(description="An http or https URL (printable ASCII, no user@ part).")]
HttpsUrl = Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH, pattern=r"^https" + _AFTER_SCHEME),
                     Field(description="An https URL (printable ASCII, no user@ part).")]
MAX_ACTIONS = 5
MAX_LABEL_LENGTH = 40
Label = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LABEL_LENGTH),
                  Field(description=f"The button's text, 1-{MAX_LABEL_LENGTH} characters.")]


class LinkAction(BaseModel):
    """A button that opens a URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # as every part of an event (events.py)
    type: Literal["link"]
    label: Label
    url: HttpUrl


class AckAction(BaseModel):
    """A button that records that the user acknowledged the event (published to herald.acks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["ack"]
    label: Label


Action = Annotated[LinkAction | AckAction, Field(discriminator="type")]
Actions = Annotated[list[Action], Field(max_length=MAX_ACTIONS,
                                        description=f"At most {MAX_ACTIONS} buttons, shown in order.")]
Display = Literal["message", "toast"]
# A toast is a line of text that fades: it has no room for a link, an image or a button. The JSON Schema
# of `EventRequest._toast_is_text_only`, so that the OpenAPI document tells the truth.
TOAST_IS_TEXT_ONLY: dict[str, Any] = {
    "if": {"required": ["display"], "properties": {"display": {"const": "toast"}}},
    "then": {"properties": {"url": {"type": "null"}, "image": {"type": "null"},
                            "actions": {"type": "null"}}},
}
