"""The ack round trip: a click on an ack button becomes an acknowledgement on the bus, and every tab of
that user, on every replica, then shows the event as acknowledged.

1. The click reaches the replica holding the tab (on Chainlit, its `POST /project/action`), which
   reports it through the tabs port (`Tabs.watch_acks`) as an `AckClick`. The button's payload must be
   signed for this user (ack_signature.py); otherwise the click is refused: logged, nothing published,
   nothing shown.
2. The acknowledgement (shared/acks.py) is published to `herald.acks` with `ack.<user>`, persistent,
   and the click returns once the broker confirmed it. If that fails, the tab is told with a toast.
3. Every replica consumes its own exclusive queue bound with `ack.#` and shows the event again,
   acknowledged, in each connected tab of that user that shows it (`arrived`): from the event this
   replica remembers (ackable_events.py), or from the step a resumed tab got back from history.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aiormq.abc
from aio_pika.abc import AbstractChannel
from aiormq import spec
from pydantic import ValidationError

from herald.chat import resumed_view
from herald.chat.ack_signature import verified_event
from herald.chat.ackable_events import AckableEvents
from herald.chat.notification_view import Acknowledged
from herald.chat.session_registry import SessionRegistry
from herald.chat.tabs import AckClick, ClickAnswer, Tabs
from herald.contract.acks import Acknowledgement
from herald.contract.declarations import declare_replica_acks_queue
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import ACKS_EXCHANGE, ack_routing_key, replica_acks_queue_name

log = logging.getLogger(__name__)

REFUSED: ClickAnswer = "refused"
ACKNOWLEDGED: ClickAnswer = "acknowledged"
FAILED: ClickAnswer = "failed"
NOT_RECORDED = "Your acknowledgement could not be recorded; please try again."


class Acknowledgements:
    def __init__(self, registry: SessionRegistry, tabs: Tabs, ackable: AckableEvents, ack_key: bytes,
                 publisher: ConfirmedPublisher, channel: AbstractChannel, replica: str) -> None:
        self._registry = registry
        self._tabs = tabs
        self._ackable = ackable
        self._ack_key = ack_key
        self._publisher = publisher
        self._channel = channel
        self._replica = replica
        self._consuming_on: aiormq.abc.AbstractChannel | None = None

    async def start(self) -> None:
        """Declare and consume this replica's queue of acknowledgements; again after a reconnect (it is
        exclusive: it goes with the connection)."""
        channel = await self._channel.get_underlay_channel()
        if channel is self._consuming_on:
            return
        self._consuming_on = channel
        try:
            await declare_replica_acks_queue(self._channel, self._replica)
            await channel.basic_consume(replica_acks_queue_name(self._replica), self._delivered, no_ack=True)
        except BaseException:
            self._consuming_on = None
            raise

    async def clicked(self, click: AckClick) -> ClickAnswer:
        verified = verified_event(self._ack_key, click.payload, click.user) if click.user else None
        if click.user is None or verified is None:
            log.warning("refusing an ack click in session %s of %s: its button was not made for them",
                        click.session_id, click.user)
            return REFUSED
        event_id, label = verified
        ack = Acknowledgement(event_id=event_id, user=click.user, session=click.session_id, thread=click.thread_id,
                              label=label, at=datetime.now(UTC))
        properties = spec.Basic.Properties(delivery_mode=2, content_type="application/json", timestamp=ack.at)
        try:
            await self._publisher.publish(ack.to_wire(), exchange=ACKS_EXCHANGE,
                                          routing_key=ack_routing_key(click.user), mandatory=False,
                                          properties=properties)
        except Exception as error:
            log.warning("publishing the ack of event %s by %s failed: %r", event_id, click.user, error)
            await self._tabs.toast(click.session_id, NOT_RECORDED, "error")
            return FAILED
        log.info("event %s acknowledged by %s in session %s", event_id, click.user, click.session_id)
        return ACKNOWLEDGED

    def resumed(self, session_id: str, event_id: str, step: Mapping[str, Any]) -> None:
        """A tab got a Herald step back from history: an ack of its event is shown there from it."""
        self._ackable.remember_resumed(session_id, event_id, step)

    async def arrived(self, ack: Acknowledgement) -> None:
        """Show the acknowledged event so in each of the user's live tabs here that shows it."""
        self._ackable.acknowledge(ack.event_id, Acknowledged(by=ack.user, at=ack.at))
        # The first click's, where this replica remembers the event.
        acknowledged = self._ackable.acknowledged_by(ack.event_id, ack.user) or Acknowledged(by=ack.user, at=ack.at)
        event = self._ackable.recall(ack.event_id)
        for record in self._registry.connected_sessions(ack.user):
            if not self._tabs.is_live(record.id):
                continue
            try:
                if record.has_shown(ack.event_id) and event is not None:
                    await self._tabs.show_acknowledged(record.id, event, acknowledged)
                elif (kept := self._ackable.resumed_step(record.id, ack.event_id)) is not None \
                        and not resumed_view.step_metadata(kept).get("herald_acknowledged"):  # the first counts
                    await self._tabs.show_step_acknowledged(record.id, dict(kept), acknowledged)
                    self._ackable.remember_resumed(record.id, ack.event_id,
                                                   resumed_view.acknowledged_step(kept, acknowledged))
                # Otherwise the tab does not show it, or this replica forgot it (ackable_events.py).
            except Exception:
                log.exception("showing event %s acknowledged in session %s failed", ack.event_id, record.id)

    async def _delivered(self, delivered: aiormq.abc.DeliveredMessage) -> None:
        try:
            ack = Acknowledgement.from_wire(delivered.body)
        except ValidationError as error:  # an outside publisher's mistake: never a reason to stop consuming
            log.warning("ignoring a message on %s that is no acknowledgement: %s", ACKS_EXCHANGE,
                        error.errors()[0]["msg"])
            return
        await self.arrived(ack)
