"""Herald's delivery inside a Chainlit app: the composition root of the chat side. It builds the
Chainlit adapter of the tabs port (chainlit_tabs.py) and hands it to this process's Replica
(replica.py), which knows no Chainlit.

Embedding it takes two lines in any Chainlit app, and leaves the app's own hooks alone:

    from herald.chat.delivery import attach
    attach()

Under `chainlit run` it starts and stops with Chainlit's server. When Chainlit is mounted in a parent
FastAPI app (whose lifespan Chainlit's does not join), enter `running(settings)` in the parent lifespan.

Herald never holds the app up: the app serves at once, and Herald connects to its broker in the
background (replica.py says how tabs that connect meanwhile are taken up). `is_live()` says whether
delivery runs right now.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from herald.chat import health, liveness
from herald.chat.ack_signature import ack_key
from herald.chat.chainlit_tabs import (
    SERVER_LOGGERS,
    ChainlitTabs,
    restore_notifications,
    run_within_chainlit,
    session_timeout,
)
from herald.chat.config import ChatSettings
from herald.chat.replica import Replica
from herald.contract.broker_link import BrokerLink
from herald.contract.logs import mask_secrets_in

log = logging.getLogger("herald.chat")

is_live, wait_live = liveness.is_live, liveness.wait_live  # for the app: is Herald delivering right now?
__all__ = ["attach", "is_live", "restore_notifications", "running", "wait_live"]  # what an app calls


@asynccontextmanager
async def running(settings: ChatSettings | None = None) -> AsyncIterator[Replica]:
    settings = settings or ChatSettings()
    timeout = session_timeout(settings.session_timeout_seconds)
    for logger in SERVER_LOGGERS:
        mask_secrets_in(logging.getLogger(logger))
    link = BrokerLink(settings.amqp_url, "herald-chat")
    # Every replica signs ack buttons with the secret they share for logins, so a button works on any of
    # them and after a restart; without one (no login), with a key of this process's own.
    key = ack_key(os.environ.get("CHAINLIT_AUTH_SECRET") or secrets.token_hex(32))
    tabs = ChainlitTabs(key)
    replica = Replica(settings, link, tabs, timeout, key)
    stop_watching = tabs.watch(replica.on_connected, replica.on_disconnected)
    stop_acks = tabs.watch_acks(replica.acks.clicked, replica.acks.resumed)
    # In the background: the app serves while the broker is away, and tabs are taken up when it comes.
    link.start()
    sweeping = asyncio.create_task(_sweep_forever(replica, max(1.0, min(30.0, timeout / 4))))
    liveness.running_now(replica)
    log.info("Herald delivery is running; it is live once the broker link is up")
    try:
        yield replica
    finally:
        liveness.running_now(None)
        sweeping.cancel()
        stop_acks()
        stop_watching()
        await replica.close()
        await link.close()


async def _sweep_forever(replica: Replica, every_seconds: float) -> None:
    while True:
        await asyncio.sleep(every_seconds)  # housekeeping on a timer: Chainlit signals no deletion
        try:
            await replica.sweep()
        except Exception:
            log.exception("removing the queues of deleted sessions failed; trying again later")


def attach(settings: ChatSettings | None = None) -> None:
    """Run Herald's delivery for as long as Chainlit's server runs (under `chainlit run`)."""
    health.install(run_within_chainlit(lambda: running(settings)))
