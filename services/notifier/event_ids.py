"""Event ids are scoped per publisher, so one API key can neither claim nor shadow another's ids.

A client-given id `deploy-7` from the key `ci` becomes the event id `ci:deploy-7`, everywhere: in the
answer, in the idempotency store, on the wire and in the chat's message metadata. Two keys sending the
same id therefore make two events, each published and each shown: the chat swallows a repeated id per
tab (a redelivery), so ids that could meet there must differ on the wire already. Key names hold no
":", so the scoped form cannot be forged by another key; generated ids (`evt_<uuid>`) and webhook
ids (`wh_<digest of source and delivery id>`) hold none either, so no client id can equal them.
"""

from __future__ import annotations

import hashlib

from herald.contract.events import Event, EventRequest

MAX_EVENT_ID = 128  # herald.contract.events.EventId


def scoped_event_id(source: str, given: str) -> str:
    """`<source>:<given>`, or, beyond 128 characters, `<source>:sha256-<digest of given>`."""
    scoped = f"{source}:{given}"
    if len(scoped) <= MAX_EVENT_ID:
        return scoped
    return f"{source}:sha256-{hashlib.sha256(given.encode()).hexdigest()[:40]}"


def event_from(request: EventRequest, source: str) -> Event:
    """The event a publisher's request makes, with its id scoped to the publisher when the client gave one."""
    event = request.to_event(source=source)
    if request.id is None:
        return event
    return event.model_copy(update={"id": scoped_event_id(source, request.id)})
