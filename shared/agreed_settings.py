"""Settings every notifier and chat replica of a deployment must share, checked against the broker when
a process first reaches it.

Inbox arguments (TTL, max length) and a tab queue's (TTL and expiry from the session timeout) are
declared by several processes, and RabbitMQ refuses a declare whose arguments differ, late and with a
channel error: an inbox nobody can take up, a tab whose events vanish when it moves to a replica with
another timeout. So the first process of a deployment records each value in the broker, and every
process compares its own with the recorded one before it declares anything.

The record of a setting is the one message of a durable queue (`herald.contract.topology.agreed_setting_queue_name`),
read and put back. A process reads and writes the records only while it holds the deployment's lock,
an exclusive queue: two processes starting at once take turns, so they cannot both find no record and
write different ones, and a reader never sees the queue empty because another holds its message. The
broker drops the lock with its holder's connection, should the holder die. (A stream, read from its
first message by all, needs no lock; but RabbitMQ 3.10 fails a read of a stream another process has
just declared, at times closing the whole connection with INTERNAL_ERROR.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractQueue
from aiormq.exceptions import ChannelLockedResource, ChannelPreconditionFailed

from herald.contract.declarations import declare_queue
from herald.contract.settings import CommonSettings
from herald.contract.topology import AGREED_SETTING_ARGUMENTS, agreed_setting_queue_name, agreed_settings_lock_name

log = logging.getLogger(__name__)

# How long a process waits for another to release the lock (a check holds it for a few round trips).
LOCK_WAIT_SECONDS = 30.0
LOCK_RETRY_SECONDS = 0.1
# What uvicorn's supervisor takes for a worker that could not start (it then stops, not restarts).
STARTUP_FAILURE = 3
CHANGE_HINT = 'to change it for the whole deployment, see "Settings every process shares" in docs/architecture.md'


@dataclass(frozen=True)
class AgreedSetting:
    name: str  # as the operator sets it
    key: str  # in the record's queue name
    value: int


class SettingsDisagree(RuntimeError):
    """This process's value of a setting differs from the deployment's; the message says what to do."""


def agreed_settings(settings: CommonSettings, session_timeout_seconds: int | None = None) -> list[AgreedSetting]:
    """What a process must agree on: both services the inbox arguments, the chat also the session timeout."""
    agreed = [AgreedSetting("HERALD_INBOX_TTL_SECONDS", "inbox-ttl-seconds", settings.inbox_ttl_seconds),
              AgreedSetting("HERALD_INBOX_MAX_LENGTH", "inbox-max-length", settings.inbox_max_length)]
    if session_timeout_seconds is not None:
        agreed.append(AgreedSetting("HERALD_SESSION_TIMEOUT_SECONDS", "session-timeout-seconds",
                                    session_timeout_seconds))
    return agreed


async def check_agreement(connection: AbstractConnection, deployment: str, agreed: Sequence[AgreedSetting],
                          process: str) -> None:
    """Raise SettingsDisagree unless each value equals the one recorded for `deployment`, recording the
    ones nobody has. Works on channels of its own, opened from `connection`."""
    async with _holding_the_lock(connection, deployment) as channel:
        for setting in agreed:
            queue = await _declare_record(channel, agreed_setting_queue_name(deployment, setting.key))
            message = await queue.get(no_ack=False, fail=False)
            if message is None:  # the deployment's first process with this setting
                await channel.default_exchange.publish(  # confirmed: the channel confirms
                    aio_pika.Message(json.dumps(_record(setting, process)).encode(), content_type="application/json",
                                     delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name)
                continue
            await message.nack(requeue=True)  # the record stays for the next process
            record = _decoded(message.body, queue.name)
            if record.get("value") != setting.value:
                raise SettingsDisagree(_disagreement(setting, record, deployment, process, queue.name))


@asynccontextmanager
async def _holding_the_lock(connection: AbstractConnection, deployment: str) -> AsyncIterator[AbstractChannel]:
    """A confirming channel, while this connection holds the deployment's lock (an exclusive queue)."""
    name, deadline = agreed_settings_lock_name(deployment), time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        channel = await connection.channel(publisher_confirms=True)
        try:
            lock = await declare_queue(channel, name, AGREED_SETTING_ARGUMENTS, exclusive=True)
            break
        except ChannelLockedResource:  # another process checks now; the broker closed this channel
            await channel.close()
            if time.monotonic() > deadline:
                raise SettingsDisagree(f"another process has held the lock {name} for {LOCK_WAIT_SECONDS:g} s; "
                                       f"start this one again") from None
            await asyncio.sleep(LOCK_RETRY_SECONDS)
    try:
        yield channel
    finally:
        if channel.is_closed:  # the broker closed it on an error: the lock is this connection's until deleted
            async with connection.channel() as releasing:
                await releasing.queue_delete(name)
        else:
            await lock.delete(if_unused=False, if_empty=False)
            await channel.close()


async def _declare_record(channel: AbstractChannel, name: str) -> AbstractQueue:
    try:
        return await declare_queue(channel, name, AGREED_SETTING_ARGUMENTS)
    except ChannelPreconditionFailed as refused:  # made by something else than this Herald
        raise SettingsDisagree(f"the broker refused the queue {name} ({refused}); delete it "
                               f"(rabbitmqctl delete_queue {name}) and start again") from refused


def _record(setting: AgreedSetting, process: str) -> dict[str, Any]:
    return {"setting": setting.name, "value": setting.value,
            "recorded_by": f"{process} (pid {os.getpid()} on {socket.gethostname()})",
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _disagreement(setting: AgreedSetting, record: dict[str, Any], deployment: str, process: str, name: str) -> str:
    return (f"{setting.name} is {setting.value} in this {process}, but {record.get('value')!r} in the other "
            f"processes of deployment {deployment!r} (recorded by {record.get('recorded_by')} at "
            f"{record.get('recorded_at')}, in the broker's queue {name}). Every notifier and chat replica of a "
            f"deployment must run with the same value, or RabbitMQ refuses their queues. Start this process "
            f"with {setting.name}={record.get('value')!r}; {CHANGE_HINT}.")


def _decoded(body: bytes, queue: str) -> dict[str, Any]:
    try:
        record = json.loads(body)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise SettingsDisagree(f"the record in the broker's queue {queue} is not one Herald wrote; delete that "
                               f"queue and start again")
    return record


async def agree_or_exit(connection: AbstractConnection, settings: CommonSettings, process: str,
                        session_timeout_seconds: int | None = None) -> None:
    """Check this process's settings; on a disagreement, log why and end the process (a half-started
    replica or notifier would refuse or lose events later)."""
    try:
        await check_agreement(connection, settings.deployment, agreed_settings(settings, session_timeout_seconds),
                              process)
    except SettingsDisagree as disagreement:
        refuse_to_run(disagreement)
    except Exception:
        # Logged here: in a Chainlit lifespan the exception ends the process (status 0) unlogged.
        log.exception("%s could not check its settings against the deployment's", process)
        raise


def refuse_to_run(disagreement: SettingsDisagree) -> NoReturn:
    log.critical("refusing to run: %s", disagreement)
    logging.shutdown()  # flush the line out before the abrupt exit
    # os._exit, not SystemExit: this runs in a startup hook or a background task, where a SystemExit
    # would end only that task, or Chainlit's lifespan would end the process with status 0.
    os._exit(STARTUP_FAILURE)
