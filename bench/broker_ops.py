"""What the harness does to the broker itself: declare many inboxes (as chats would have), purge them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractChannel

from herald.contract.declarations import declare_exchanges, declare_inbox
from herald.contract.settings import CommonSettings
from herald.contract.topology import InboxArguments, inbox_queue_name


def bench_users(prefix: str, count: int) -> list[str]:
    """The users the wrk script targets: `prefix0` .. `prefix{count-1}`."""
    return [f"{prefix}{n}" for n in range(count)]


CHANNELS = 16  # a channel's operations take turns, so many channels make many inboxes faster


async def _for_each(url: str, users: list[str], step: Callable[[AbstractChannel, str], Awaitable[object]]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        todo = iter(users)

        async def worker() -> None:
            channel = await connection.channel()
            for user in todo:
                await step(channel, user)

        await asyncio.gather(*(worker() for _ in range(min(CHANNELS, len(users)))))


async def declare_inboxes(url: str, users: list[str]) -> None:
    arguments = InboxArguments.from_settings(CommonSettings())  # what the notifier and chats declare
    connection = await aio_pika.connect(url)
    async with connection:
        await declare_exchanges(await connection.channel())

    async def declare(channel: AbstractChannel, user: str) -> object:
        return await declare_inbox(channel, user, arguments)

    await _for_each(url, users, declare)


async def purge_inboxes(url: str, users: list[str]) -> None:
    """Empty the inboxes a load filled, so the next measurement starts from the same broker state."""

    async def purge(channel: AbstractChannel, user: str) -> object:
        queue = await channel.get_queue(inbox_queue_name(user), ensure=False)
        return await queue.purge()

    await _for_each(url, users, purge)
