"""The settings every process of a deployment must share are recorded by the first one and checked by
each, on a real broker (shared/agreed_settings.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection

from herald.contract.agreed_settings import AgreedSetting, SettingsDisagree, agreed_settings, check_agreement
from herald.contract.settings import CommonSettings
from herald.contract.topology import agreed_setting_queue_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def connection(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    async with await aio_pika.connect_robust(amqp_url) as opened:
        yield opened


def fresh_deployment() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def ttl(value: int) -> AgreedSetting:
    return AgreedSetting("HERALD_INBOX_TTL_SECONDS", "inbox-ttl-seconds", value)


async def check(connection: AbstractRobustConnection, deployment: str, *agreed: AgreedSetting,
                process: str = "herald-test") -> None:
    await check_agreement(connection, deployment, agreed, process)


async def test_the_first_value_is_recorded_and_a_different_one_refused_with_what_to_do(
        connection: AbstractRobustConnection) -> None:
    deployment = fresh_deployment()
    await check(connection, deployment, ttl(600), process="herald-notifier")  # records 600
    await check(connection, deployment, ttl(600))  # agrees
    with pytest.raises(SettingsDisagree) as refused:
        await check(connection, deployment, ttl(60), process="herald-chat")
    message = str(refused.value)
    assert message.startswith("HERALD_INBOX_TTL_SECONDS is 60 in this herald-chat, but 600 in the other processes "
                              f"of deployment '{deployment}' (recorded by herald-notifier (pid ")
    assert "Start this process with HERALD_INBOX_TTL_SECONDS=600" in message
    assert "docs/architecture.md" in message
    await check(connection, deployment, ttl(600))  # the refused value was not recorded


async def test_two_processes_starting_at_once_with_different_values_cannot_both_pass(
        amqp_url: str) -> None:
    deployment = fresh_deployment()

    async def start(value: int) -> None:
        async with await aio_pika.connect_robust(amqp_url) as own:
            await check(own, deployment, ttl(value))

    outcomes = await asyncio.gather(start(1), start(2), return_exceptions=True)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NoneType", "SettingsDisagree"]


async def test_the_chat_adds_its_session_timeout_to_the_notifiers_inbox_settings(
        connection: AbstractRobustConnection) -> None:
    deployment = fresh_deployment()
    defaults = CommonSettings(deployment=deployment)
    await check(connection, deployment, *agreed_settings(defaults), process="herald-notifier")
    await check(connection, deployment, *agreed_settings(defaults, session_timeout_seconds=30))
    with pytest.raises(SettingsDisagree, match="HERALD_SESSION_TIMEOUT_SECONDS is 31 in this herald-chat, but 30"):
        await check(connection, deployment, *agreed_settings(defaults, session_timeout_seconds=31),
                    process="herald-chat")
    other = CommonSettings(deployment=deployment, inbox_max_length=5)
    with pytest.raises(SettingsDisagree, match="HERALD_INBOX_MAX_LENGTH is 5 in this herald-chat, but 10000"):
        await check(connection, deployment, *agreed_settings(other, session_timeout_seconds=30), process="herald-chat")


async def test_a_deployment_of_another_name_records_its_own(connection: AbstractRobustConnection) -> None:
    await check(connection, fresh_deployment(), ttl(1))
    await check(connection, fresh_deployment(), ttl(2))


async def test_a_foreign_queue_in_a_records_place_is_refused_with_what_to_do(
        connection: AbstractRobustConnection, amqp_url: str) -> None:
    deployment = fresh_deployment()
    name = agreed_setting_queue_name(deployment, "inbox-ttl-seconds")
    async with connection.channel() as channel:
        await channel.declare_queue(name, durable=True, arguments={"x-max-length": 1})
    with pytest.raises(SettingsDisagree, match=rf"delete it \(rabbitmqctl delete_queue {name}\)"):
        await check(connection, deployment, ttl(1))
    async with connection.channel() as channel:
        await channel.queue_delete(name)
    async with await aio_pika.connect_robust(amqp_url) as another:  # the refused check let go of the lock
        await asyncio.wait_for(check(another, deployment, ttl(1)), timeout=5)
