"""The chat's side of the world as Herald's delivery code sees it: tabs, shown events, and proofs.

A tab is one browser tab (a Chainlit session): it has a stable id, belongs to one user, may show one
thread, and connects over one socket at a time (a new one after each reconnect). Delivery code
(replica.py, tab_showing.py, broadcasts.py, thread_persistence.py) asks this port, and nothing else,
about tabs; chainlit_tabs.py implements it on Chainlit, and tests/support/fake_tabs.py in memory.
Only Herald's own small types cross it (session, thread and socket ids as strings, `Tab`, `Event`).

What the port promises, and what delivery builds on:
- `show` emits without any acknowledgement; a show is done only once `emitted`'s mark is passed
  (the tab answered something queued after it). Until then the AMQP message that brought the event
  stays unacknowledged, and goes back to the tab's queue if the tab drops;
- a socket id changes when the tab reconnects: a proof counts only for the socket that was shown;
- `show_to_all` reaches every tab that joined the broadcasts (`join_broadcasts`) and is live now,
  with one rendering for all of them; each tab's proof is then asked for with `emitted`;
- `watch` reports connects after the channel has set the tab up and disconnects before it may forget
  it. `on_connected` raising TabRefused (tab_ids.py) makes the channel close the tab.
- Ack buttons (acknowledgements.py): a shown event's ack buttons are signed for the user they were
  shown to (ack_signature.py, with the key the channel was given); `watch_acks` reports each click as
  an `AckClick`, whose payload is what the browser sent back, unchecked; a tab that got a thread back
  from history reports each of its Herald steps (`on_resumed`), so that an ack can be shown there too.

A second channel (email, Slack, an outgoing webhook) plugs in as another implementation of `Tabs`:
its "tab" is whatever one recipient endpoint is (a mailbox, a Slack DM, a webhook URL of a user), its
socket the current connection or credential, `show` sends the rendered event (render.py's pure
functions give the content), and `emitted` returns a mark passed once the far side confirmed it (an SMTP
250, Slack's `ok`, a 2xx): the AMQP message is acknowledged only then, exactly as for a browser tab.
`watch` reports a recipient as connected while it subscribes. A composition root (delivery.py) then
builds a Replica per channel, or one Replica over a `Tabs` that fans out to several channels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from herald.chat.notification_view import Acknowledged, ToastType
from herald.chat.render import Step
from herald.contract.events import Event

OnProof = Callable[[int], None]  # called with the number of the socket's answers so far
ClickAnswer = Literal["acknowledged", "refused", "failed"]


@dataclass(frozen=True, slots=True)
class AckClick:
    """A click on an ack button, in the tab it was made in."""

    session_id: str
    user: str | None  # None: the tab has no logged-in user
    thread_id: str | None
    payload: Any  # the button's payload as the browser sent it back: unchecked


OnAckClick = Callable[[AckClick], Awaitable[ClickAnswer]]
OnResumed = Callable[[str, str, Step], None]  # (session id, event id, the step read back from history)


@dataclass(frozen=True, slots=True)
class Tab:
    """A tab as it (re)connects or drops."""

    id: str  # the session id: stable across the tab's reconnects
    user: str
    thread_id: str | None


TabCallback = Callable[[Tab], Awaitable[None]]


class Tabs(Protocol):
    def watch(self, on_connected: TabCallback, on_disconnected: TabCallback) -> Callable[[], None]:
        """Report each (re)connect and each drop of a logged-in user's tab; return what stops it."""
        ...

    def socket(self, session_id: str) -> str | None:
        """The tab's current socket id; None once the channel has deleted the session (its timeout passed)."""
        ...

    def is_live(self, session_id: str) -> bool:
        """Connected right now. The channel keeps a dropped session a while, and shows to it vanish."""
        ...

    async def show(self, session_id: str, event: Event, acknowledged: Acknowledged | None = None) -> None:
        """Show the event in the tab (and write it to the tab's thread when threads are kept); raises
        when rendering fails. The same event shown again updates the tab's message in place. With its ack
        buttons, signed for the tab's user, unless `acknowledged`; a toast is shown and never kept."""
        ...

    async def show_acknowledged(self, session_id: str, event: Event, acknowledged: Acknowledged) -> None:
        """Show an event the tab shows again, acknowledged and without its ack buttons, in place; and
        write that to the tab's thread."""
        ...

    async def show_step_acknowledged(self, session_id: str, kept: Step, acknowledged: Acknowledged) -> None:
        """As `show_acknowledged`, for a step the tab got back from history (`on_resumed`)."""
        ...

    async def toast(self, session_id: str, text: str, kind: ToastType) -> None:
        """A passing note in the tab; never kept."""
        ...

    def watch_acks(self, on_click: OnAckClick, on_resumed: OnResumed) -> Callable[[], None]:
        """Answer clicks on Herald's ack buttons with `on_click`, and report each Herald step of a
        thread a tab got back from history (whose ack buttons the channel shows again); return what
        stops it."""
        ...

    async def emitted(self, socket: str, on_proof: OnProof) -> int | None:
        """Right after a show on `socket`: the show's mark. It is proven once `on_proof` is called with a
        count above the mark. None when the socket is gone: the show vanished."""
        ...

    async def join_broadcasts(self, session_id: str) -> None:
        """Let `show_to_all` reach the tab's current socket (until it drops)."""
        ...

    async def show_to_all(self, event: Event) -> None:
        """Show a live broadcast to every live tab that joined: one rendering for all of them; its ack
        buttons may be clicked by any reader."""
        ...

    @property
    def keeps_threads(self) -> bool:
        """Whether threads are stored (a Chainlit data layer), so that an event can be written to one."""
        ...

    async def thread_owner(self, thread_id: str) -> str | None:
        """The user who owns the stored thread; None when there is no such thread."""
        ...

    async def write_to_thread(self, thread_id: str, event: Event) -> None:
        """Write the event into the stored thread, seen when its user resumes it (again: overwritten)."""
        ...
