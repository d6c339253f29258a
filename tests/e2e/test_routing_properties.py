"""Random sequences of tab and event operations against the real system, checked against a model.

Each example drives three fresh users through opening, closing and reopening tabs on two chat
replicas (a tab may come back on the other replica, with its session id), joining and leaving a
group, and sending user, session, thread, group, live and persistent broadcast events, and session or
thread events nobody can take (which fall back at once to the user, or are dropped), through the real
notifier and broker. A small model (the oracle) says which tab must show which event; every tab must
show exactly those, each once, in send order along each path. That covers loss, duplicates, order,
cross-user leaks and zombie tabs (a closed tab may show, on reopening, only its own session and thread
events sent while it was away).

The model applies most operations to a quiescent system: before a tab opens, closes or reopens, the
driver waits until every tab has shown what the model says it must have shown by now, and after a
close it waits until the chat has stopped consuming the tab's queue. "Connected at send time" is then
well defined. Sends are not separated by waits, so a burst, or a user event and then a broadcast, are
in flight together.

Two operations race user events against a tab: one closes a tab while its user's events are sent,
one opens a tab while they are sent. There the documentation only bounds the outcome, and so does the
model: the user's tabs connected throughout show each event exactly once (in inbox order, for an
open); the racing tab shows each at most once; an event that raced the close of the user's last tab
is never lost: it is shown in the closing tab or in a later tab of the user (possibly after the
reconnect grace, when it goes back to the inbox); the first tab of a user with none shows every event
that raced its opening, once. Such events are never shown to another user.

The replicas keep disconnected sessions for 10 minutes, so no session is deleted (and no held session
event falls back) during an example: the model needs no clock. Session timeouts are left to the
targeted tests (tests/e2e/test_routing.py): a held event's fallback comes one timeout after it was
sent, but its queue expires two timeouts after the tab left, so whether a later event waits in the
queue or falls back at once depends on timing the driver cannot hold on a shared machine.

CI runs a fixed set (derandomized) of examples plus the explicit ones below; `--hypothesis-profile=long`
(tests/conftest.py) explores hundreds of random ones, with shrinking.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import event as count_in_statistics
from hypothesis import strategies as st

from herald.contract.topology import session_queue_name
from tests.conftest import Keys
from tests.support import processes
from tests.support.broker_probe import consumer_count
from tests.support.chat_client import ChatTab
from tests.support.processes import Service
from tests.support.routing_drivers import Publisher, Tabs, fresh_user
from tests.support.waiting import eventually, wait_until

pytestmark = pytest.mark.e2e

USERS = 3
FIRST_MEMBERS = (0, 1)  # the group's members when an example starts; U2 may join later
THREADS = 2  # thread ids per user a tab may show
MAX_TABS = 5
SESSION_TIMEOUT_SECONDS = 600  # longer than any example
# Longer than the reconnect grace (15 s): an event that raced a close may wait that long in the closed
# tab's queue before it goes back to the inbox; and other test runs share this machine.
SETTLE_SECONDS = 35.0
PERSIST_TTL_SECONDS = 180  # a persistent broadcast's copies in other tests' inboxes do not outlive it
CI_EXAMPLES = 36


@pytest.fixture(scope="module")
def steady_replicas(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[tuple[Service, Service]]:
    """Like the `replicas` of the routing tests, but no session of an example times out."""
    with processes.chat_replicas(amqp_url, users_file, workdir, "steady", SESSION_TIMEOUT_SECONDS) as pair:
        yield pair


# The operations. Tab numbers pick among the tabs the operation applies to, modulo their number, so
# every generated sequence is valid; an operation with nothing to apply to does nothing.


@dataclass(frozen=True)
class Open:
    user: int
    replica: int
    thread: int | None = None  # which of the user's threads the tab shows, if any


@dataclass(frozen=True)
class Close:
    tab: int  # among the connected tabs


@dataclass(frozen=True)
class Reopen:
    tab: int  # among the closed tabs; the same session id
    elsewhere: bool = False  # on the other replica than the one it left


@dataclass(frozen=True)
class UserEvents:
    user: int
    count: int  # more than one: a burst, published back to back


@dataclass(frozen=True)
class SessionEvent:
    tab: int  # among all tabs
    foreign: bool  # named by another user than the tab's: a leak attempt


@dataclass(frozen=True)
class NobodysSession:
    """A session event naming a session id no tab ever had: it falls back at once."""

    user: int
    drop: bool  # `"fallback": "drop"` instead of the user


@dataclass(frozen=True)
class ThreadEvent:
    user: int  # whose thread it names
    thread: int
    foreign: bool  # sent as the next user, who has no tab showing it: that user's fallback applies
    drop: bool


@dataclass(frozen=True)
class GroupEvent:
    pass


@dataclass(frozen=True)
class Join:
    user: int


@dataclass(frozen=True)
class Leave:
    user: int


@dataclass(frozen=True)
class Broadcast:
    persist: bool = False


@dataclass(frozen=True)
class CloseAmid:
    """Close a tab while events to its user are being sent."""

    tab: int  # among the connected tabs
    count: int


@dataclass(frozen=True)
class OpenAmid:
    """Open a tab while events to its user are being sent."""

    user: int
    replica: int
    count: int


Op = (Open | Close | Reopen | UserEvents | SessionEvent | NobodysSession | ThreadEvent | GroupEvent | Join
      | Leave | Broadcast | CloseAmid | OpenAmid)

user_numbers = st.integers(0, USERS - 1)
tab_numbers = st.integers(0, MAX_TABS - 1)
replica_numbers = st.integers(0, 1)
opens = st.builds(Open, user_numbers, replica_numbers, st.none() | st.integers(0, THREADS - 1))
operations = st.one_of(
    opens,
    # Two branches each (one_of merges equal ones): a reopen needs a closed tab, and with one chance in
    # thirteen it came in 6 % of the long profile's examples.
    st.builds(Close, tab_numbers), st.builds(Close, st.just(0)),
    st.builds(Reopen, tab_numbers, st.just(False)), st.builds(Reopen, tab_numbers, st.just(True)),
    st.builds(UserEvents, user_numbers, st.integers(1, 5)),
    st.builds(SessionEvent, tab_numbers, st.booleans()),
    st.builds(NobodysSession, user_numbers, st.booleans()),
    st.builds(ThreadEvent, user_numbers, st.integers(0, THREADS - 1), st.booleans(), st.booleans()),
    st.just(GroupEvent()),
    st.builds(Join, user_numbers),
    st.builds(Leave, user_numbers),
    st.builds(Broadcast, st.booleans()),
    st.builds(CloseAmid, tab_numbers, st.integers(1, 4)),
    st.builds(OpenAmid, user_numbers, replica_numbers, st.integers(1, 4)),
)
# Starting with an open keeps examples from spending their operations on nobody.
scenarios = st.tuples(opens, st.lists(operations, min_size=5, max_size=18)).map(
    lambda first_and_rest: [first_and_rest[0], *first_and_rest[1]])


# The oracle. Events on one path keep their order: "inbox" (user, group and persistent broadcast
# events, and fallbacks), "session" (session and thread events into one tab's queue), "broadcast".
# Events due on the path "race" are checked as a set: they raced a tab's opening or closing.


@dataclass
class ModelTab:
    user: int
    thread: int | None
    connected: bool = False
    due: list[tuple[str, str]] = field(default_factory=list)  # what it must have shown by now, and the path
    held: list[str] = field(default_factory=list)  # its own session and thread events sent while it was closed
    maybe: set[str] = field(default_factory=set)  # events it may show, at most once


class Model:
    def __init__(self) -> None:
        self.tabs: list[ModelTab] = []
        # Inbox-path events sent while their user had no connected tab.
        self.waiting: dict[int, list[str]] = {user: [] for user in range(USERS)}
        self.members = set(FIRST_MEMBERS)
        self.inboxes = set(FIRST_MEMBERS)  # joining a group declares the inbox
        # Events that raced the close of their user's last tab: some tab of the user must show them.
        self.owed: dict[str, int] = {}

    def connected(self, user: int | None = None) -> list[ModelTab]:
        return [tab for tab in self.tabs if tab.connected and user in (None, tab.user)]

    def open(self, user: int, thread: int | None) -> ModelTab:
        tab = ModelTab(user, thread)
        self.tabs.append(tab)
        self.reopen(tab)
        self.inboxes.add(user)  # the chat declares the inbox of a user's first tab
        return tab

    def reopen(self, tab: ModelTab) -> None:
        if not self.connected(tab.user):  # the first tab back takes what waited in the inbox
            tab.due += [(event, "inbox") for event in self.waiting[tab.user]]
            self.waiting[tab.user].clear()
        tab.due += [(event, "session") for event in tab.held]
        tab.held.clear()
        tab.connected = True

    def close(self, tab: ModelTab) -> None:
        tab.connected = False

    def user_event(self, user: int, event: str) -> None:
        self.inboxes.add(user)  # the notifier declares a missing inbox and publishes again
        if tabs := self.connected(user):
            for tab in tabs:
                tab.due.append((event, "inbox"))
        else:
            self.waiting[user].append(event)

    def session_event(self, owner: int, tab: ModelTab, event: str) -> None:
        if owner != tab.user:
            return  # dead-lettered: nobody shows it
        self._into_queue(tab, event)

    def _into_queue(self, tab: ModelTab, event: str) -> None:
        if tab.connected:
            tab.due.append((event, "session"))
        else:
            tab.held.append(event)

    def fallback(self, user: int, event: str, drop: bool) -> None:
        """A session or thread event no tab's queue takes: the user's inbox applies its fallback."""
        self.inboxes.add(user)
        if not drop:
            self.user_event(user, event)

    def thread_event(self, owner: int, thread_user: int, thread: int, event: str, drop: bool) -> None:
        # Without a data layer a tab's queue is bound to its thread while the session lives, connected
        # or not; the key names the sender's user, so another user's tabs showing that thread id never match.
        if owner == thread_user and (showing := [tab for tab in self.tabs
                                                 if tab.user == owner and tab.thread == thread]):
            for tab in showing:
                self._into_queue(tab, event)
        else:
            self.fallback(owner, event, drop)

    def group_event(self, event: str) -> None:
        for member in sorted(self.members):
            self.user_event(member, event)

    def broadcast(self, event: str, persist: bool) -> None:
        if persist:
            for user in sorted(self.inboxes):
                self.user_event(user, event)
        else:
            for tab in self.connected():
                tab.due.append((event, "broadcast"))

    def raced_close(self, closing: ModelTab, events: list[str]) -> None:
        """`events` to the closing tab's user were sent while it closed. Their order is not checked: if
        the inbox's active consumer moves with the close, the tabs that stay may be shown later events
        from the new consumer before the copies the old one relayed (docs/architecture.md)."""
        closing.connected = False
        stayed = self.connected(closing.user)
        for event in events:
            self.inboxes.add(closing.user)
            closing.maybe.add(event)
            for tab in stayed:
                tab.due.append((event, "race"))
            if not stayed:
                self.owed[event] = closing.user

    def raced_open(self, user: int, thread: int | None, events: list[str]) -> ModelTab:
        """`events` to `user` were sent while a new tab of theirs opened."""
        stayed = self.connected(user)
        tab = self.open(user, thread)
        for event in events:
            for other in stayed:
                other.due.append((event, "inbox"))
            if stayed:
                tab.maybe.add(event)
            else:
                tab.due.append((event, "race"))
        return tab

    def allowed(self, tab: ModelTab) -> set[str]:
        """What `tab` may show besides what it is due: each at most once."""
        return tab.maybe | {event for event, user in self.owed.items() if user == tab.user}


def disagreement(due: list[tuple[str, str]], allowed: set[str], shown: list[str]) -> str | None:
    """How what a tab showed differs from what it was due and allowed; None when it does not."""
    expected = Counter(event for event, _ in due)
    missing = expected - Counter(shown)
    extra = Counter(shown) - expected - Counter(allowed - set(expected))
    if missing or extra:
        return f"missing {sorted(missing)}, unexpected or repeated {sorted(extra.elements())}"
    for path in sorted({on for _, on in due} - {"race"}):
        in_order = [event for event, on in due if on == path]
        if (order := [event for event in shown if event in in_order]) != in_order:
            return f"{path} events out of order: shown {order}, sent {in_order}"
    return None


def repeats(tab: ChatTab) -> str | None:
    """An event emitted twice on one connection of the tab (Chainlit's view would hide it)."""
    for connection in range(1, tab.connections + 1):
        if twice := sorted(Counter(tab.emitted_ids(connection)) - Counter(set(tab.emitted_ids(connection)))):
            return f"emitted twice on connection {connection}: {twice}"
    return None


# The driver: applies each operation to the real system and to the model.


class Driver:
    def __init__(self, replicas: tuple[Service, Service], publisher: Publisher, tabs: Tabs) -> None:
        self.replicas, self.publisher, self.opener = replicas, publisher, tabs
        self.run = uuid.uuid4().hex[:6]
        self.users = [fresh_user(f"u{n}") for n in range(USERS)]
        self.threads = [[str(uuid.uuid4()) for _ in range(THREADS)] for _ in range(USERS)]
        self.group = f"props-{self.run}"
        self.model = Model()
        self.tabs: list[ChatTab] = []  # the real tab of each model tab, by index
        self.replica_of: list[int] = []  # where each tab is (or was last) connected
        self.trace: list[str] = []
        self.sent = 0

    def name(self, index: int) -> str:
        """"t1(U0@b/T1)": tab 1, of U0, on replica b, showing U0's thread 1."""
        tab = self.model.tabs[index]
        thread = "" if tab.thread is None else f"/T{tab.thread}"
        return f"t{index}(U{tab.user}@{'ab'[self.replica_of[index]]}{thread})"

    async def start(self) -> None:
        for member in FIRST_MEMBERS:
            await self.membership("PUT", member)

    async def membership(self, method: str, user: int) -> None:
        response = await self.publisher.group(method, self.group, self.users[user])
        assert response.status_code == 204, response.text

    async def send(self, target: dict[str, Any], label: str, **fields: Any) -> str:
        self.sent += 1
        # Readable ids make a failure message a story; the run prefix keeps them unique.
        return await self.publisher.send(target, id=f"{self.run}.{self.sent:02d}.{label}", **fields)

    async def user_events(self, user: int, count: int, label: str) -> list[str]:
        return [await self.send({"user": self.users[user]}, f"{label}U{user}") for _ in range(count)]

    async def open_tab(self, user: int, replica: int, thread: int | None) -> ChatTab:
        thread_id = "" if thread is None else self.threads[user][thread]
        real = await self.opener.open(self.replicas[replica], self.users[user], thread_id=thread_id)
        self.tabs.append(real)
        self.replica_of.append(replica)
        return real

    async def apply(self, op: Op) -> None:
        model = self.model
        match op:
            case Open(user, replica, thread) if len(self.tabs) < MAX_TABS:
                await self.settle()
                await self.open_tab(user, replica, thread)
                model.open(user, thread)
                self.trace.append(f"open {self.name(len(self.tabs) - 1)}")
            case Close(number) if connected := [i for i, tab in enumerate(model.tabs) if tab.connected]:
                index = connected[number % len(connected)]
                await self.settle()
                await self.tabs[index].disconnect()
                await self.taken_down(self.tabs[index])
                model.close(model.tabs[index])
                self.trace.append(f"close {self.name(index)}")
            case Reopen(number, elsewhere) if closed := [i for i, tab in enumerate(model.tabs) if not tab.connected]:
                await self.reopen(closed[number % len(closed)], elsewhere)
            case UserEvents(user, count):
                for event in await self.user_events(user, count, ""):
                    model.user_event(user, event)
                self.trace.append(f"{count} user event(s) to U{user}")
            case SessionEvent(number, foreign) if model.tabs:
                index = number % len(model.tabs)
                owner = (model.tabs[index].user + (1 if foreign else 0)) % USERS
                target = {"user": self.users[owner], "session": self.tabs[index].session_id}
                model.session_event(owner, model.tabs[index], await self.send(target, f"s{index}-by-U{owner}"))
                self.trace.append(f"session event to {self.name(index)} as U{owner}")
            case NobodysSession(user, drop):
                fallback = "drop" if drop else "user"
                target = {"user": self.users[user], "session": str(uuid.uuid4()), "fallback": fallback}
                event = await self.send(target, f"nobody-{fallback}-U{user}")
                model.fallback(user, event, drop)
                self.trace.append(f"session event to nobody's session of U{user}, fallback {fallback}")
            case ThreadEvent(user, thread, foreign, drop):
                owner = (user + (1 if foreign else 0)) % USERS
                fallback = "drop" if drop else "user"
                target = {"user": self.users[owner], "thread": self.threads[user][thread], "fallback": fallback}
                event = await self.send(target, f"U{user}T{thread}-by-U{owner}-{fallback}")
                model.thread_event(owner, user, thread, event, drop)
                self.trace.append(f"thread event to U{user}'s T{thread} as U{owner}, fallback {fallback}")
            case GroupEvent():
                model.group_event(await self.send({"group": self.group}, "group"))
                self.trace.append(f"group event (members {sorted(model.members)})")
            case Join(user):
                await self.membership("PUT", user)
                model.members.add(user)
                model.inboxes.add(user)
                self.trace.append(f"U{user} joins")
            case Leave(user):
                await self.membership("DELETE", user)
                model.members.discard(user)
                self.trace.append(f"U{user} leaves")
            case Broadcast(persist):
                fields = {"ttl_seconds": PERSIST_TTL_SECONDS} if persist else {}
                everyone: dict[str, Any] = {"broadcast": True, "persist": True} if persist else {"broadcast": True}
                model.broadcast(await self.send(everyone, "persistent" if persist else "broadcast", **fields),
                                persist)
                self.trace.append("persistent broadcast" if persist else "broadcast")
            case CloseAmid(number, count) if connected := [i for i, tab in enumerate(model.tabs) if tab.connected]:
                index = connected[number % len(connected)]
                user = model.tabs[index].user
                await self.settle()
                _, events = await asyncio.gather(self.tabs[index].disconnect(),
                                                 self.user_events(user, count, f"amid-close{index}-"))
                await self.taken_down(self.tabs[index])
                model.raced_close(model.tabs[index], events)
                self.trace.append(f"close {self.name(index)} amid {count} user event(s)")
            case OpenAmid(user, replica, count) if len(self.tabs) < MAX_TABS:
                await self.settle()
                _, events = await asyncio.gather(self.open_tab(user, replica, None),
                                                 self.user_events(user, count, "amid-open-"))
                model.raced_open(user, None, events)
                self.trace.append(f"open {self.name(len(self.tabs) - 1)} amid {count} user event(s)")

    async def reopen(self, index: int, elsewhere: bool = False) -> None:
        await self.settle()
        tab = self.tabs[index]
        if elsewhere:  # the same session id, on the other replica: its token is good on both
            self.replica_of[index] = 1 - self.replica_of[index]
            tab.base_url = self.replicas[self.replica_of[index]].url
        await tab.connect()
        await self.opener.ready(tab)
        self.model.reopen(self.model.tabs[index])
        self.trace.append(f"reopen {self.name(index)}" + (" on the other replica" if elsewhere else ""))

    async def taken_down(self, tab: ChatTab) -> None:
        """The chat has handled the disconnect: the tab's queue is unbound from live traffic."""

        async def unconsumed() -> bool:
            return await consumer_count(self.opener.amqp_url, session_queue_name(tab.session_id)) == 0

        await eventually(unconsumed, timeout=SETTLE_SECONDS, what=f"the chat to let go of {tab.session_id}")

    def owed_shown(self) -> bool:
        """Every event that raced a close of its user's last tab is shown by a tab of that user, or
        can still be: no tab of the user is connected."""
        return all(not self.model.connected(user)
                   or any(event in real.event_ids()
                          for tab, real in zip(self.model.tabs, self.tabs, strict=True) if tab.user == user)
                   for event, user in self.model.owed.items())

    async def settle(self) -> None:
        """Wait until every tab has shown what it is due, then check that it showed nothing else."""

        def caught_up() -> bool:
            return self.owed_shown() and all(
                Counter(real.event_ids()) >= Counter(e for e, _ in tab.due)
                for tab, real in zip(self.model.tabs, self.tabs, strict=True))

        with suppress(AssertionError):  # on a timeout, the checks below say what is missing
            await wait_until(caught_up, timeout=SETTLE_SECONDS, what="every tab to show what it is due")
        problems = [f"{self.name(i)}: {problem}"
                    for i, (tab, real) in enumerate(zip(self.model.tabs, self.tabs, strict=True))
                    if (problem := disagreement(tab.due, self.model.allowed(tab), real.event_ids())
                        or repeats(real))]
        if self.model.tabs and all(tab.connected for tab in self.model.tabs) and not self.owed_shown():
            problems.append(f"lost: raced a close and shown by no tab of their user: {self.lost()}")
        assert not problems, "\n".join(problems)

    def lost(self) -> list[str]:
        shown = {event for real in self.tabs for event in real.event_ids()}
        return sorted(event for event in self.model.owed if event not in shown)

    async def finish(self) -> None:
        """Bring every tab back and send markers down every path: once they are shown, so is the rest."""
        for index, tab in enumerate(self.model.tabs):
            if not tab.connected:
                await self.reopen(index)
        for user in sorted({tab.user for tab in self.model.tabs}):
            self.model.user_event(user, await self.send({"user": self.users[user]}, f"marker-U{user}"))
        for index, tab in enumerate(self.model.tabs):
            target = {"user": self.users[tab.user], "session": self.tabs[index].session_id}
            self.model.session_event(tab.user, tab, await self.send(target, f"marker-s{index}"))
        self.model.broadcast(await self.send({"broadcast": True}, "marker-broadcast"), persist=False)
        await self.settle()


async def run_scenario(ops: list[Op], replicas: tuple[Service, Service], publisher: Publisher,
                       amqp_url: str) -> None:
    tabs = Tabs(amqp_url)
    driver = Driver(replicas, publisher, tabs)
    try:
        await driver.start()
        for op in ops:
            applied = len(driver.trace)
            await driver.apply(op)
            if len(driver.trace) > applied:  # what the examples cover: --hypothesis-show-statistics
                elsewhere = " elsewhere" if isinstance(op, Reopen) and op.elsewhere else ""
                count_in_statistics(f"applies {type(op).__name__}{elsewhere}")
        if driver.model.owed:
            count_in_statistics("events raced the close of their user's last tab")
        await driver.finish()
    except BaseException as exc:
        exc.add_note("applied: " + "; ".join(driver.trace))
        raise
    finally:
        await tabs.close()


# CI: a fixed set of examples, the same on every run, without shrinking (each example runs against
# real processes: a failure names the operations applied instead). `--hypothesis-profile=long`: the
# profile's random examples, shrunk on a failure.
LONG = settings.default is settings.get_profile("long")
CI = settings(max_examples=CI_EXAMPLES, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])


# pytest-timeout's 300 s (pyproject.toml) bounds the whole test, all its examples together.
@pytest.mark.timeout(4 * 3600 if LONG else 300)
@settings(settings.default if LONG else CI, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(ops=[  # every rule of the model once, including the ones random sequences reach rarely
    Open(0, 0), Open(0, 1, thread=0), Open(1, 1),
    UserEvents(0, 3), GroupEvent(), Broadcast(),
    Close(0),  # t0; U0 keeps t1
    SessionEvent(0, foreign=False),  # held for t0 until it reopens
    SessionEvent(1, foreign=True),  # U1 naming U0's tab: nobody
    ThreadEvent(0, 0, foreign=False, drop=True),  # t1 shows U0's T0
    ThreadEvent(0, 0, foreign=True, drop=False),  # U1 naming it: nobody shows it, so U1's fallback
    ThreadEvent(0, 1, foreign=False, drop=False),  # no tab shows U0's T1: U0's fallback
    NobodysSession(1, drop=True), NobodysSession(1, drop=False),
    UserEvents(0, 2),  # only t1: t0 is closed
    Close(0),  # t1; U0 has no tab left
    ThreadEvent(0, 0, foreign=False, drop=True),  # held for t1
    UserEvents(0, 2), GroupEvent(), Broadcast(), Broadcast(persist=True),  # U0's wait; live: t2 only
    Leave(1), Join(2), GroupEvent(),  # U0 (waiting) and U2 (no tab yet)
    Reopen(1, elsewhere=True),  # t1 comes back first, on replica a, and takes what waited
    Reopen(0),  # t0 gets its held session event and nothing else
    Open(2, 0), UserEvents(2, 1),
])
@example(ops=[  # the races: a close amid events with the user's other tab staying, then of the last tab
    Open(0, 0), Open(0, 1), OpenAmid(0, 0, 3),
    CloseAmid(0, 3), Close(0), CloseAmid(0, 4),  # U0's last tab closes amid events: none may be lost
    OpenAmid(0, 1, 2),  # the first tab back: it shows all that waited and all that raced its opening
    UserEvents(0, 1),
])
@given(ops=scenarios)
def test_every_tab_shows_exactly_its_events_in_order(
        steady_replicas: tuple[Service, Service], notifier: Service, keys: Keys, amqp_url: str,
        ops: list[Op]) -> None:
    asyncio.run(run_scenario(ops, steady_replicas, Publisher(notifier, keys), amqp_url))
