"""The event contract: what a publisher sends, and what travels on the wire to the chat instances.

One module, imported by both services, so the two sides can never disagree about an event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticSerializationError, to_json

from herald.contract.json_bounds import out_of_bounds
from herald.contract.rich_fields import TOAST_IS_TEXT_ONLY, Action, Actions, Display, HttpsUrl, HttpUrl

# The wire format's version. Bump it only for a change old consumers cannot read; additive
# optional fields keep the version.
SCHEMA_VERSION = 1

MAX_BODY_BYTES = 16 * 1024
# `data` is free-form, so it is bounded here, well inside what every parser on its way can read
# (see shared/json_bounds.py): the object itself is level 1.
MAX_DATA_DEPTH = 32
MAX_DATA_BYTES = 32 * 1024  # as compact JSON (UTF-8), as it travels
# Integers are carried exactly, but a socket.io client (python-engineio's JSON) refuses one written with
# over 100 characters, against the quadratic cost of reading long integers: 99 digits and a sign.
MAX_DATA_INTEGER_DIGITS = 99

# User ids become AMQP routing keys and queue names, so they may not hold topic wildcards
# ("*", "#") or whitespace. Email-like ids are allowed.
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@+-]{1,128}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
# Session and thread ids are Chainlit's: its frontend makes each tab's session id, its server a new
# thread's id, both as lowercase uuid strings. No other id can name a tab (the chat refuses tabs that
# bring one, services/chat/tab_ids.py), and both become queue names and routing-key words.
SESSION_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN)]
ThreadId = SessionId
# Groups are names, and become routing-key words.
GroupId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_@+-]{1,64}$")]

class Severity(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The rules of `UserTarget._one_scope` in JSON Schema, so that the OpenAPI document tells the truth.
_ONE_SCOPE: dict[str, Any] = {
    "not": {"required": ["session", "thread"],
            "properties": {"session": {"type": "string"}, "thread": {"type": "string"}}},
    "if": {"required": ["fallback"], "properties": {"fallback": {"const": "drop"}}},
    "then": {"anyOf": [{"required": ["session"], "properties": {"session": {"type": "string"}}},
                       {"required": ["thread"], "properties": {"thread": {"type": "string"}}}]},
}


class UserTarget(_Strict):
    """One user: all their connected sessions, or one session, or the sessions showing one thread.

    - `{"user": U}`: every connected session of U; waits in U's inbox while U is offline.
    - `{"user": U, "session": S}`: only session S, if S is U's; waits while S is disconnected, then
      falls back to a user event (or is dropped, with `"fallback": "drop"`).
    - `{"user": U, "thread": T}`: U's sessions showing thread T; otherwise persisted into T when a data
      layer is configured, else it falls back like a session target.
    """

    user: UserId
    session: SessionId | None = None
    thread: ThreadId | None = None
    fallback: Literal["user", "drop"] = "user"

    model_config = ConfigDict(json_schema_extra=_ONE_SCOPE)

    @model_validator(mode="after")
    def _one_scope(self) -> UserTarget:
        if self.session is not None and self.thread is not None:
            raise ValueError("name a session or a thread, not both")
        if self.fallback == "drop" and self.session is None and self.thread is None:
            raise ValueError('"fallback": "drop" applies only to a session or thread target')
        return self


class GroupTarget(_Strict):
    """Every member of a group, each with the user semantics."""

    group: GroupId


def _only_a_bool(value: Any) -> Any:
    if not isinstance(value, bool):  # a literal True takes 1, which equals True in Python
        raise ValueError("must be true")
    return value


class BroadcastTarget(_Strict):
    """Every connected session of every user; with `persist`, also kept in every inbox for its TTL."""

    broadcast: Annotated[Literal[True], BeforeValidator(_only_a_bool)]
    persist: StrictBool = False


def _target_kind(value: Any) -> str | None:
    # Called on every validation and serialization of an event, on its hot path: plain lookups.
    if isinstance(value, dict):
        for kind in ("user", "group", "broadcast"):
            if kind in value:
                return kind
        return None
    return _KIND_OF.get(type(value))


_KIND_OF: dict[type, str] = {UserTarget: "user", GroupTarget: "group", BroadcastTarget: "broadcast"}


Target = Annotated[
    Annotated[UserTarget, Tag("user")] | Annotated[GroupTarget, Tag("group")]
    | Annotated[BroadcastTarget, Tag("broadcast")],
    Discriminator(_target_kind, custom_error_type="target_kind",
                  custom_error_message='target must have one of "user", "group" or "broadcast"'),
]


def _body_within_limit(body: str) -> str:
    if len(body.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"body is {len(body.encode())} bytes; the limit is {MAX_BODY_BYTES} bytes")
    return body


def _data_within_limits(data: dict[str, Any]) -> dict[str, Any]:
    if (reason := out_of_bounds(data, MAX_DATA_DEPTH, MAX_DATA_INTEGER_DIGITS)) is not None:
        raise ValueError(f"data {reason}")  # the README says what to do instead: strings for long numbers
    try:
        wire = to_json(data)  # the serializer of Event.to_wire: integers of any size, exactly
    except PydanticSerializationError as exc:  # a lone surrogate
        raise ValueError(f"data cannot be written as JSON: {exc}") from None
    if len(wire) > MAX_DATA_BYTES:
        raise ValueError(f"data is {len(wire)} bytes as JSON; the limit is {MAX_DATA_BYTES} bytes")
    return data


Body = Annotated[
    str,
    StringConstraints(min_length=1),
    AfterValidator(_body_within_limit),
    Field(description="Markdown, at most 16 KiB (UTF-8)."),
]
Data = Annotated[
    dict[str, Any],
    AfterValidator(_data_within_limits),
    Field(description=f"Any JSON object, carried along exactly: at most {MAX_DATA_DEPTH} levels deep (the "
                      f"object itself is 1), {MAX_DATA_BYTES // 1024} KiB as compact JSON, and integers of at "
                      f"most {MAX_DATA_INTEGER_DIGITS} digits."),
]


class EventRequest(_Strict):
    """What a publisher POSTs. `source` and `created_at` are not accepted from the client."""

    id: EventId | None = Field(default=None, description="Unique id; generated when omitted.")
    target: Target
    title: Annotated[str, StringConstraints(max_length=256)] | None = None
    body: Body
    severity: Severity = Severity.INFO
    ttl_seconds: Annotated[int, Field(gt=0, le=30 * 24 * 3600)] | None = None
    data: Data | None = None
    url: HttpUrl | None = Field(default=None, description="Shown as a link: the title links to it.")
    image: HttpsUrl | None = Field(default=None, description="Shown as an image under the body (from the chat's "
                                                             "HERALD_IMAGE_HOSTS; else as a link).")
    actions: Actions | None = None
    display: Display = Field(default="message", description='"toast": a toast of one line of text, with no url, '
                                                            'image or actions; not kept in the chat.')

    model_config = ConfigDict(json_schema_extra=TOAST_IS_TEXT_ONLY)

    @field_validator("display")
    @classmethod
    def _toast_is_text_only(cls, display: Display, info: ValidationInfo) -> Display:
        # A field validator (on the last field, so the others are in `info.data`): the 422 names `display`.
        if display == "toast":
            for field in ("url", "image", "actions"):
                if info.data.get(field) is not None:
                    raise ValueError(f'a "toast" shows text only: drop "{field}", or use "display": "message"')
        return display

    def to_event(self, source: str, now: datetime | None = None) -> Event:
        return Event(
            id=self.id or new_event_id(),
            target=self.target,
            title=self.title,
            body=self.body,
            severity=self.severity,
            ttl_seconds=self.ttl_seconds,
            data=self.data,
            url=self.url,
            image=self.image,
            actions=self.actions,
            display=None if self.display == "message" else self.display,
            source=source,
            created_at=now or datetime.now(UTC),
        )


class Event(_Strict):
    """An accepted event, as it travels on the wire."""

    v: Literal[1] = 1  # SCHEMA_VERSION
    id: EventId
    target: Target
    title: str | None = None
    body: str
    severity: Severity = Severity.INFO
    source: str
    created_at: datetime
    ttl_seconds: int | None = None
    data: dict[str, Any] | None = None
    url: str | None = None
    image: str | None = None
    actions: list[Action] | None = None
    display: Display | None = None  # None is a message; left out on the wire, as every other default here

    def to_wire(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_wire(cls, raw: bytes) -> Event:
        return cls.model_validate_json(raw)


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"
