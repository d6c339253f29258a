"""The broker link of both services against a real RabbitMQ (and a closed port): channels made before it
connects, one log line per drop and return instead of aio-pika's line per attempt, and `while_up`."""

from __future__ import annotations

import asyncio
import logging

import pytest

from herald.contract.broker_connection import RECONNECT_INTERVAL_SECONDS
from herald.contract.broker_link import BrokerLink, LinkDown
from scripts.rabbitmq_node import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


async def test_a_link_to_a_closed_port_counts_its_attempts_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    link = BrokerLink(f"amqp://guest:guest@127.0.0.1:{free_port()}/", "link-test")
    channel = link.connection.channel()  # before any connect: opened when the link comes up
    link.start()
    try:
        await wait_until(lambda: link.status().failed_attempts >= 3, timeout=6 * RECONNECT_INTERVAL_SECONDS,
                         what="three failed attempts")
        status = link.status()
        assert not status.up and status.down_for_seconds is not None and status.down_for_seconds > 0
        assert channel.is_closed
        with pytest.raises(LinkDown):
            async with link.while_up():
                pytest.fail("ran while the link was down")
    finally:
        await link.close()
    attempts = [record.getMessage() for record in caplog.records if record.name.startswith(("aio_pika", "aiormq"))]
    assert attempts == []  # aio-pika's and aiormq's lines per attempt are taken in (their messages changed?)
    ours = [record.getMessage() for record in caplog.records if record.name == "herald.broker"]
    assert len(ours) == 1 and ours[0].startswith("cannot connect to the broker at amqp://guest:******@")


async def test_a_dropped_link_cuts_off_the_work_under_way_and_comes_back(
        amqp_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    link = BrokerLink(amqp_url, "link-test")
    channel = link.connection.channel()
    link.start()
    try:
        await asyncio.wait_for(link.wait_up(), timeout=30)
        await wait_until(lambda: not channel.is_closed, what="the channel made before the connect to open")
        assert link.status().as_json() == {"link": "up"}

        entered = asyncio.Event()

        async def work_that_waits() -> None:
            async with link.while_up():
                entered.set()
                await asyncio.Event().wait()  # broker work that would wait for the link

        working = asyncio.create_task(work_that_waits())
        await entered.wait()
        transport = link.connection.transport
        assert transport is not None
        await transport.connection.close(ConnectionError("cut by the test"))  # as a broker that went away
        done, _ = await asyncio.wait({working}, timeout=3)
        assert working in done, "the work went on waiting after the link dropped"
        with pytest.raises(LinkDown):
            working.result()

        await wait_until(lambda: link.up, timeout=30, what="the link to come back")
        await wait_until(lambda: not channel.is_closed, what="the channel to open again")
    finally:
        await link.close()
    assert [record.getMessage() for record in caplog.records if record.name.startswith(("aio_pika", "aiormq"))] == []
    ours = [record.getMessage() for record in caplog.records if record.name == "herald.broker"]
    assert [line.split(" (")[0].split(" after")[0] for line in ours] == [
        f"connected to the broker at {link.where}", f"lost the broker link to {link.where}",
        f"the broker link to {link.where} is back"], ours
