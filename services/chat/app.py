"""The Herald demo chat: a plain Chainlit app with a login and Herald's delivery attached.

Run it with `python -m herald.chat`.
"""

import asyncio
import sys
from pathlib import Path

import chainlit as cl

from herald.chat import restore_notifications
from herald.chat.config import ChatSettings
from herald.chat.delivery import attach, is_live, wait_live
from herald.chat.login import install_login

# Chainlit's load_module names an app's module by the path it was given, so `chainlit run
# services/chat/app.py` (the checkout's path, before #19) shows here; the package's own path does not.
if Path(__name__).as_posix().endswith("services/chat/app.py"):
    print("herald: `chainlit run services/chat/app.py` is deprecated and goes in the next release: "
          "use `python -m herald.chat`", file=sys.stderr)

settings = ChatSettings()
install_login(settings)
attach(settings)  # everything Herald needs; the hooks below stay the app's own

DELAYED = ("Notifications are delayed: the notification service is reconnecting. "
           "They will appear here once it is back; nothing is lost.")

if settings.data_layer_url:  # thread history, by default in SQLite (HERALD_DATA_LAYER_URL)
    from chainlit.types import ThreadDict

    try:
        from herald.chat.history import HistoryMisconfigured, open_history
    except ImportError as exc:
        sys.exit(f"herald-chat: thread history needs Herald's history extra ({exc}): pip install 'herald[history]', "
                 "or set HERALD_DATA_LAYER_URL to nothing for no history")
    try:
        history = open_history(settings.data_layer_url)
    except HistoryMisconfigured as exc:
        sys.exit(f"herald-chat: {exc}")
    cl.data_layer(lambda: history)
    starting: set[asyncio.Task[bool]] = set()

    @cl.on_app_startup
    async def make_history_schema() -> None:
        # In the background: a database that does not answer must not hold the chat up (history.py).
        task = asyncio.create_task(history.ensure_schema())
        starting.add(task)
        task.add_done_callback(starting.discard)

    @cl.on_chat_resume
    async def resume(thread: ThreadDict) -> None:
        # Chainlit replays the thread's messages, Herald's persisted ones among them; Herald gives them
        # back their images and ack buttons, which history does not keep.
        await restore_notifications(thread)


async def notice_while_delayed() -> None:
    """A quiet notice while Herald's delivery is not live, removed once it is; one per tab."""
    if is_live() or cl.user_session.get("delivery_notice") is not None:
        return
    notice = cl.Message(content=DELAYED, author="Herald")
    await notice.send()

    async def remove_when_live() -> None:
        await wait_live()
        await notice.remove()
        cl.user_session.set("delivery_notice", None)

    # The task runs in this tab's Chainlit context (a copy of it), so it removes the message from this tab.
    cl.user_session.set("delivery_notice", asyncio.create_task(remove_when_live()))


@cl.on_chat_start
async def greet() -> None:
    user = cl.user_session.get("user")
    name = user.display_name or user.identifier if user else "there"
    await cl.Message(content=f"Hi {name}. Notifications for you will appear here.").send()
    await notice_while_delayed()


@cl.on_message
async def echo(message: cl.Message) -> None:
    await cl.Message(content=f"You said: {message.content}").send()
    await notice_while_delayed()
