"""Opening the broker connection both services hold, and quieting aio-pika's log of its attempts.

aio-pika's robust connection re-establishes itself after a drop. With `fail_fast` off it also keeps
retrying the first connect, so a service started before its broker simply waits for it.

A service builds its consumers and publishers on channels at its start, before the broker may be
there; aio-pika makes channels only on a connected connection. `robust_connection` makes them earlier
too, and aio-pika opens them when it first connects, as it opens them again after each reconnect.
That uses aio-pika's private API, here only: `RobustConnection._RobustConnection__channels`, the set
of channels it (re)opens on every connect (aio-pika 10).

Each attempt, the AMQP handshake included, is bounded: aiormq waits for the broker's handshake
frames without a deadline, so a broker that accepts the socket but does not answer (overloaded, or
still booting) would hold a service's start, or its reconnect, for good. A timed-out attempt is
retried like a refused one.

aio-pika logs every failed attempt, a line every `RECONNECT_INTERVAL_SECONDS` for as long as the
broker is away, and has no other way to tell that an attempt failed. `watch_attempts` turns those
lines of a watched connection into a call, so that shared/broker_link.py logs one line when the link
drops and one when it returns; the other lines aio-pika and aiormq write at each drop and attempt are
left out too (`_ECHOES`). This depends on their log messages (aio-pika 10, aiormq 7), here only;
tests/integration/test_broker_link.py notices when they change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from weakref import WeakKeyDictionary

import aio_pika
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aio_pika.connection import make_url

RECONNECT_INTERVAL_SECONDS = 2
ATTEMPT_TIMEOUT_SECONDS = 15

# aio_pika.robust_connection's messages, each with the connection as its first argument.
_FAILED_ATTEMPT = ('Connection attempt to "%s" failed: %s. Reconnecting after %r seconds.',
                   "Reconnect attempt failed %s due to %s: %s. Retrying after %r seconds.")
_CLOSED = "Connection to %s closed. Reconnecting after %r seconds."
ATTEMPTS_LOGGER = "aio_pika.robust_connection"
# What else aio-pika and aiormq log when a link drops or an attempt fails, each time, with no connection
# to tell whose: aiormq's line per attempt, its account of the drop (the link's own line says it), and
# the traceback of its reader, and aio-pika's robust channels failing to reopen on a connection that is
# gone (the connection reopens them when it is back).
_ECHOES = {
    "aiormq.connection": ("error when creating transport: %r", 'Unexpected connection close from remote "%s", '
                          "Connection.Close(reply_code=%r, reply_text=%r)",
                          "Cancelling cause reader exited abnormally"),
}
_CHANNEL_ON_CLOSE = "RobustChannel._on_close"


class _EarlyChannels(aio_pika.RobustConnection):
    def channel(self, channel_number: int | None = None, publisher_confirms: bool = True,
                on_return_raises: bool = False) -> AbstractRobustChannel:
        if self.transport is not None or self.connected.is_set() or self.connection_attempt:
            return super().channel(channel_number, publisher_confirms, on_return_raises)
        # Not connected yet: the channel is opened by the first connect, with every other channel.
        channel = self.CHANNEL_CLASS(connection=self, channel_number=channel_number,
                                     publisher_confirms=publisher_confirms, on_return_raises=on_return_raises)
        getattr(self, "_RobustConnection__channels").add(channel)  # noqa: B009  (aio-pika's private set)
        return channel


def robust_connection(url: str, name: str) -> aio_pika.RobustConnection:
    """A robust connection, not connected yet: `connect()` it (it then retries until the broker answers).
    Channels made on it before it connects open when it does."""
    return _EarlyChannels(
        make_url(url, fail_fast=False, reconnect_interval=RECONNECT_INTERVAL_SECONDS),
        client_properties={"connection_name": name})


async def connect_until_up(url: str, name: str,
                           attempt_timeout: float = ATTEMPT_TIMEOUT_SECONDS) -> AbstractRobustConnection:
    # aio_pika.connect_robust() as it is written, but closing the connection when the wait is given up
    # (the caller stops before its broker came): else its reconnect loop would go on trying.
    connection = robust_connection(url, name)
    try:
        await connection.connect(timeout=attempt_timeout)
    except BaseException:
        await connection.close()
        raise
    return connection


FailedAttempt = Callable[[object], None]  # called with the reason of each failed attempt


class _AttemptLines(logging.Filter):
    """Drops aio-pika's per-attempt lines of the watched connections and reports each failure instead."""

    def __init__(self) -> None:
        super().__init__()
        self.watched: WeakKeyDictionary[object, FailedAttempt] = WeakKeyDictionary()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        try:
            on_failed = self.watched.get(args[0])
        except TypeError:  # an unhashable first argument: not a connection
            return True
        if on_failed is None:
            return True
        if record.msg in _FAILED_ATTEMPT:
            on_failed(args[-2])  # the exception (or its text), before the retry interval
            return False
        return record.msg != _CLOSED


class _Echoes(logging.Filter):
    """Drops the lines of `_ECHOES`, and aio-pika's errors of robust channels reopening on a dropped link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in _ECHOES.get(record.name, ()):
            return False
        return not (record.name == "aio_pika.tools" and isinstance(record.args, tuple) and record.args
                    and _CHANNEL_ON_CLOSE in repr(record.args[0]))


_attempt_lines = _AttemptLines()
_echoes = _Echoes()


def watch_attempts(connection: AbstractRobustConnection, on_failed: FailedAttempt) -> None:
    """Call `on_failed` for each failed (re)connect attempt of `connection`, instead of aio-pika's log
    line; and from now on, leave out of the log what aio-pika and aiormq repeat of each drop and attempt."""
    for name, line_filter in [(ATTEMPTS_LOGGER, _attempt_lines), ("aiormq.connection", _echoes),
                              ("aio_pika.tools", _echoes)]:
        logger = logging.getLogger(name)
        if line_filter not in logger.filters:
            logger.addFilter(line_filter)
    _attempt_lines.watched[connection] = on_failed
