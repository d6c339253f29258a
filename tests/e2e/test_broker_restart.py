"""A broker restart under connected tabs: the chat takes up their queues again, and events published
after the restart reach them, through the inbox and through the tab's own queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import Keys
from tests.support import processes
from tests.support.broker import RestartableBroker
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "rabbitmq")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def stack(broker: RestartableBroker, keys: Keys, users_file: Path, workdir: Path
          ) -> Iterator[tuple[processes.Service, Publisher]]:
    with processes.notifier(broker.url, keys.file, workdir) as notifier, \
            processes.chat(broker.url, users_file, workdir, name="restart-chat",
                           env={"HERALD_AUTH_MODE": "header"}) as chat:
        yield chat, Publisher(notifier, keys)


@pytest.fixture
async def restart_tabs(broker: RestartableBroker) -> AsyncIterator[Tabs]:
    opened = Tabs(broker.url)
    yield opened
    await opened.close()


async def test_tabs_get_their_events_after_a_broker_restart(
        broker: RestartableBroker, stack: tuple[processes.Service, Publisher], restart_tabs: Tabs) -> None:
    chat, publisher = stack
    user = fresh_user("restart")
    tab = await restart_tabs.open(chat, user)
    before = await publisher.send({"user": user})
    await wait_until(lambda: before in tab.event_ids(), what="the event before the restart")

    broker.stop()
    broker.start()
    await processes.notifier_linked(publisher.notifier)
    await restart_tabs.ready(tab)  # the chat consumes the tab's queue again

    through_inbox = await publisher.send({"user": user})
    through_session_queue = await publisher.send({"user": user, "session": tab.session_id})
    await wait_until(lambda: {through_inbox, through_session_queue} <= set(tab.event_ids()), timeout=30,
                     what="both events after the restart")
    assert sorted(tab.emitted_ids(connection=1)) == sorted([before, through_inbox, through_session_queue])
