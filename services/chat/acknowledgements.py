"""The ack round trip: a click on an ack button becomes an acknowledgement on the bus, and every tab of
that user, on every replica, then shows the event as acknowledged.

1. The click reaches Chainlit's `POST /project/action`, which runs Herald's action callback (the
   Chainlit action name `herald_ack`, registered next to the app's own callbacks, which stay as they
   are) in the clicking tab's session. The button's payload must be signed for this user
   (ack_signature.py); otherwise the click is refused: logged, nothing published, nothing shown.
2. The acknowledgement (shared/acks.py) is published to `herald.acks` with `ack.<user>`, persistent,
   and the click returns once the broker confirmed it.
3. Every replica consumes its own exclusive queue bound with `ack.#` and shows the event again,
   acknowledged, in each connected tab of that user that shows it (render.show_acknowledged).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiormq.abc
from aio_pika.abc import AbstractChannel
from aiormq import spec
from chainlit import action_callback
from chainlit.action import Action
from chainlit.config import config as chainlit_config
from chainlit.context import context
from chainlit.session import WebsocketSession
from pydantic import ValidationError

from herald.chat import ackable_events, render
from herald.chat.ack_signature import verified_event
from herald.chat.notification_view import ACK_ACTION, Acknowledged
from herald.chat.session_registry import SessionRegistry
from herald.contract.acks import Acknowledgement
from herald.contract.frames import ConfirmedPublisher
from herald.contract.topology import ACKS_EXCHANGE, EVERY_ACK_KEY, ack_routing_key, replica_acks_queue_name

log = logging.getLogger(__name__)

REFUSED = "refused"
ACKNOWLEDGED = "acknowledged"
FAILED = "failed"
NOT_RECORDED = "Your acknowledgement could not be recorded; please try again."


class Acknowledgements:
    def __init__(self, registry: SessionRegistry, publisher: ConfirmedPublisher, channel: AbstractChannel,
                 replica: str) -> None:
        self._registry = registry
        self._publisher = publisher
        self._channel = channel
        self._queue = replica_acks_queue_name(replica)
        self._consuming_on: aiormq.abc.AbstractChannel | None = None

    def install(self) -> None:
        """Answer clicks on Herald's ack buttons; the app's own action callbacks stay as they are."""
        action_callback(ACK_ACTION)(self.clicked)

    def uninstall(self) -> None:
        # Chainlit has no way to remove a callback: its registry is this dict (config.py, CodeSettings).
        chainlit_config.code.action_callbacks.pop(ACK_ACTION, None)

    async def start(self) -> None:
        """Declare and consume this replica's queue of acknowledgements; again after a reconnect (it is
        exclusive: it goes with the connection)."""
        channel = await self._channel.get_underlay_channel()
        if channel is self._consuming_on:
            return
        self._consuming_on = channel
        try:
            await channel.queue_declare(self._queue, exclusive=True, auto_delete=True)
            await channel.queue_bind(self._queue, ACKS_EXCHANGE, routing_key=EVERY_ACK_KEY)
            await channel.basic_consume(self._queue, self._delivered, no_ack=True)
        except BaseException:
            self._consuming_on = None
            raise

    async def clicked(self, action: Action) -> str:
        """Chainlit's action callback, in the clicking tab's context."""
        session = context.session
        user = session.user.identifier if session.user else None
        verified = verified_event(render.ACK_KEY, action.payload, user) if user else None
        if user is None or verified is None:
            log.warning("refusing an ack click in session %s of %s: its button was not made for them",
                        session.id, user)
            return REFUSED
        event_id, label = verified
        ack = Acknowledgement(event_id=event_id, user=user, session=session.id, thread=session.thread_id or None,
                              label=label, at=datetime.now(UTC))
        properties = spec.Basic.Properties(delivery_mode=2, content_type="application/json", timestamp=ack.at)
        try:
            await self._publisher.publish(ack.to_wire(), exchange=ACKS_EXCHANGE, routing_key=ack_routing_key(user),
                                          mandatory=False, properties=properties)
        except Exception as error:
            log.warning("publishing the ack of event %s by %s failed: %r", event_id, user, error)
            await context.emitter.send_toast(NOT_RECORDED, "error")
            return FAILED
        log.info("event %s acknowledged by %s in session %s", event_id, user, session.id)
        return ACKNOWLEDGED

    async def _delivered(self, delivered: aiormq.abc.DeliveredMessage) -> None:
        try:
            ack = Acknowledgement.from_wire(delivered.body)
        except ValidationError as error:  # an outside publisher's mistake: never a reason to stop consuming
            log.warning("ignoring a message on %s that is no acknowledgement: %s", ACKS_EXCHANGE,
                        error.errors()[0]["msg"])
            return
        ackable_events.acknowledge(ack.event_id, Acknowledged(by=ack.user, at=ack.at))
        # The first click's, where this replica remembers the event.
        acknowledged = ackable_events.acknowledged_by(ack.event_id, ack.user) or Acknowledged(by=ack.user, at=ack.at)
        event = ackable_events.recall(ack.event_id)
        for record in self._registry.connected_sessions(ack.user):
            session = WebsocketSession.get_by_id(record.id)
            if session is None or not render.is_live(session):
                continue
            try:
                if record.has_shown(ack.event_id) and event is not None:
                    await render.show_acknowledged(session, event, acknowledged)
                elif (kept := ackable_events.resumed_step(record.id, ack.event_id)) is not None:
                    await render.show_step_acknowledged(session, dict(kept), acknowledged)
                # Otherwise the tab does not show it, or this replica forgot it (ackable_events.py).
            except Exception:
                log.exception("showing event %s acknowledged in session %s failed", ack.event_id, session.id)
