"""A real socket.io client of the Chainlit chat: one browser tab, as Chainlit's frontend speaks it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import socketio

EXTRAS = ("update_message", "element", "action", "remove_action", "toast")


async def login(base_url: str, user: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/login", data={"username": user, "password": password})
        response.raise_for_status()
        return response.cookies["access_token"]


async def login_by_header(base_url: str, user: str, header: str = "X-Forwarded-User") -> str:
    """Log in as an SSO proxy would: the chat trusts the header that names the user."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/auth/header", headers={header: user})
        response.raise_for_status()
        return response.cookies["access_token"]


@dataclass
class ChatTab:
    base_url: str
    token: str
    socketio_path: str = "/ws/socket.io"  # under a mounted Chainlit: "<mount path>/ws/socket.io"
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    thread_id: str = ""
    # The merged view, as Chainlit's frontend shows it: a step whose id the tab has already replaces it.
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Every `new_message` emitted to the tab, raw, with the number of the connection it came on (1 for
    # the first): a step emitted twice is here twice, which `messages` would hide.
    emitted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    connections: int = 0
    client: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient(reconnection=False))

    resumed: list[dict[str, Any]] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)
    # What else a notification emits, in order, as (event name, payload): its updates, elements, action
    # buttons and their removals, and toasts.
    extras: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client.on("new_message", self._on_new_message)
        for name in EXTRAS:
            self.client.on(name, partial(self._on_extra, name))
        self.client.on("resume_thread", self._on_resume_thread)
        self.client.on("delete_message", self._on_delete_message)

    async def _on_new_message(self, step: dict[str, Any]) -> None:
        self.emitted.append((self.connections, step))
        # As Chainlit's frontend does (addMessage): a step whose id it has already replaces that one.
        for index, known in enumerate(self.messages):
            if known.get("id") == step.get("id"):
                self.messages[index] = step
                return
        self.messages.append(step)

    async def _on_extra(self, name: str, payload: dict[str, Any]) -> None:
        self.extras.append((name, payload))
        if name == "update_message":  # as the frontend does: merged into the message with that id
            self.messages = [{**known, **payload} if known.get("id") == payload.get("id") else known
                             for known in self.messages]

    def emitted_as(self, name: str) -> list[dict[str, Any]]:
        return [payload for emitted, payload in self.extras if emitted == name]

    async def click(self, action: dict[str, Any]) -> httpx.Response:
        """Click an action button, as Chainlit's frontend does: `POST /project/action`, not a socket event."""
        async with httpx.AsyncClient(base_url=self.base_url, cookies={"access_token": self.token}) as http:
            return await http.post("/project/action", json={"action": action, "sessionId": self.session_id})

    async def _on_delete_message(self, step: dict[str, Any]) -> None:
        self.messages = [known for known in self.messages if known.get("id") != step.get("id")]

    async def _on_resume_thread(self, thread: dict[str, Any]) -> None:
        self.resumed.append(thread)

    async def say(self, text: str) -> None:
        """Send a user message, as typing into the chat box does."""
        await self.client.emit("client_message", {"message": {
            "id": str(uuid.uuid4()), "threadId": self.thread_id, "name": "user", "type": "user_message",
            "output": text, "createdAt": datetime.now(UTC).isoformat()}, "fileReferences": []})

    async def connect(self) -> None:
        """Connect (or reconnect, keeping the session id) and announce the tab as Chainlit's UI does."""
        await self.client.connect(
            self.base_url, socketio_path=self.socketio_path, transports=["websocket"],
            headers={"Cookie": f"access_token={self.token}"},
            auth={"sessionId": self.session_id, "clientType": "webapp", "threadId": self.thread_id,
                  "userEnv": "{}", "chatProfile": ""},
            wait_timeout=10,
        )
        self.connections += 1
        await self.client.emit("connection_successful")

    async def disconnect(self) -> None:
        await self.client.disconnect()

    def herald_events(self) -> list[dict[str, Any]]:
        """The Herald events this tab has shown, in order (the app's own messages left out)."""
        return [step for step in self.messages
                if step.get("type") == "assistant_message" and "herald_event_id" in (step.get("metadata") or {})]

    def shown_ids(self) -> list[str]:
        return [step["metadata"]["herald_event_id"] for step in self.herald_events()]

    def event_ids(self) -> list[str]:
        """The ids of the Herald events this tab shows, less the ones a test set aside (markers)."""
        return [event_id for event_id in self.shown_ids() if event_id not in self.ignored]

    def emitted_ids(self, connection: int | None = None) -> list[str]:
        """The id of every Herald event emitted to this tab, in order and with repeats, less the ones a
        test set aside (markers); only those emitted on `connection` (1 for the first) when given."""
        return [step["metadata"]["herald_event_id"] for number, step in self.emitted
                if (connection is None or number == connection) and step.get("type") == "assistant_message"
                and "herald_event_id" in (step.get("metadata") or {})
                and step["metadata"]["herald_event_id"] not in self.ignored]


async def open_tab(base_url: str, token: str, **kwargs: Any) -> ChatTab:
    tab = ChatTab(base_url, token, **kwargs)
    await tab.connect()
    return tab
