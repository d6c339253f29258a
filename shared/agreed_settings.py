"""Settings every notifier and chat replica of a deployment must share, checked against the broker when
a process first reaches it.

Inbox arguments (TTL, max length) and a tab queue's (TTL and expiry from the session timeout) are
declared by several processes, and RabbitMQ refuses a declare whose arguments differ, late and with a
channel error: an inbox nobody can take up, a tab whose events vanish when it moves to a replica with
another timeout. So the first process of a deployment records each value in the broker, and every
process compares its own with the recorded one before it declares anything.

The record of a setting is the first message of a stream (`shared.topology.agreed_setting_queue_name`):
a stream is read from its start without consuming it, so every process reads the same first record,
and two processes starting at once each append theirs and then both compare against the same first.
A process appends its own only when the stream looks empty, so it stays a message or two long.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from shared.settings import CommonSettings
from shared.topology import AGREED_SETTING_ARGUMENTS, agreed_setting_queue_name, declare_queue

log = logging.getLogger(__name__)

# How long the first read waits before taking the stream for empty: only the first start of a
# deployment waits it out, and taking a full stream for empty costs no more than an extra record.
EMPTY_AFTER_SECONDS = 1.0
# How long the read after appending a record waits for the first one: by then the stream holds one.
RECORDED_WITHIN_SECONDS = 15.0
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


async def check_agreement(channel: AbstractChannel, deployment: str, agreed: Sequence[AgreedSetting],
                          process: str) -> None:
    """Raise SettingsDisagree unless each value equals the one recorded for `deployment` (recording it
    when nobody has). `channel` must be the check's own: it sets the channel's prefetch."""
    await channel.set_qos(prefetch_count=1)  # a stream is only read with a prefetch set
    for setting in agreed:
        name = agreed_setting_queue_name(deployment, setting.key)
        queue = await declare_queue(channel, name, AGREED_SETTING_ARGUMENTS)
        record = await _first_record(queue, EMPTY_AFTER_SECONDS)
        if record is None:
            await channel.default_exchange.publish(
                aio_pika.Message(json.dumps(_record(setting, process)).encode(), content_type="application/json",
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=name)
            record = await _first_record(queue, RECORDED_WITHIN_SECONDS)
            if record is None:
                raise SettingsDisagree(f"{process}: the broker did not hand back the record of {setting.name} "
                                       f"from {name} within {RECORDED_WITHIN_SECONDS:g} s; start it again")
        if record.get("value") != setting.value:
            raise SettingsDisagree(_disagreement(setting, record, deployment, process, name))


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


async def _first_record(queue: AbstractQueue, wait: float) -> dict[str, Any] | None:
    """The stream's first message, decoded; None when none came within `wait` seconds."""
    first: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def take(message: AbstractIncomingMessage) -> None:
        if not first.done():
            first.set_result(message.body)
        await message.ack()

    tag = await queue.consume(take, arguments={"x-stream-offset": "first"})
    try:
        body = await asyncio.wait_for(first, wait)
    except TimeoutError:
        return None
    finally:
        await queue.cancel(tag)
    try:
        record = json.loads(body)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise SettingsDisagree(f"the first record in the broker's queue {queue.name} is not one Herald wrote; "
                               f"delete that queue and start again")
    return record


async def agree_or_exit(connection: AbstractConnection, settings: CommonSettings, process: str,
                        session_timeout_seconds: int | None = None) -> None:
    """Check this process's settings on a channel of its own; on a disagreement, log why and end the
    process (a half-started replica or notifier would refuse or lose events later)."""
    try:
        async with connection.channel() as channel:
            await check_agreement(channel, settings.deployment, agreed_settings(settings, session_timeout_seconds),
                                  process)
    except SettingsDisagree as disagreement:
        refuse_to_run(disagreement)


def refuse_to_run(disagreement: SettingsDisagree) -> NoReturn:
    log.critical("refusing to run: %s", disagreement)
    logging.shutdown()  # flush the line out before the abrupt exit
    # os._exit, not SystemExit: this runs in a startup hook or a background task, where a SystemExit
    # would end only that task, or Chainlit's lifespan would end the process with status 0.
    os._exit(STARTUP_FAILURE)
