"""An acknowledgement: a chat user clicked an event's ack button. Published by the chat replica the
click reached, to ACKS_EXCHANGE (topology.py, topic) with the routing key `ack.<user>`, persistent and
confirmed. Outside systems bind a queue of their own to it (`ack.#` for all, `ack.<user>` for one
user); every chat replica binds one too, to show the acknowledgement in each of that user's tabs.

    {"v": 1, "event_id": "ci:deploy-4711", "user": "alice", "session": "<tab's session id>",
     "thread": "<its thread id>" | null, "label": "Seen", "at": "2026-12-06T15:20:01.123456Z"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from herald.contract.events import EventId, SessionId, ThreadId, UserId


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    event_id: EventId
    user: UserId
    session: SessionId
    thread: ThreadId | None
    label: str  # the text of the button clicked
    at: datetime

    def to_wire(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_wire(cls, raw: bytes) -> Acknowledgement:
        return cls.model_validate_json(raw)
