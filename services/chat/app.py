"""The Herald demo chat: a plain Chainlit app with a login and Herald's delivery attached.

Run it with `python -m herald.chat` (or `chainlit run services/chat/app.py`).
"""

import asyncio

import chainlit as cl

from herald.chat.config import ChatSettings
from herald.chat.delivery import attach, is_live, wait_live
from herald.chat.login import install_login
from herald.chat.resumed_notifications import restore_notifications

settings = ChatSettings()
install_login(settings)
attach(settings)  # everything Herald needs; the hooks below stay the app's own

DELAYED = ("Notifications are delayed: the notification service is reconnecting. "
           "They will appear here once it is back; nothing is lost.")

if settings.data_layer_url:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from chainlit.types import ThreadDict

    history = SQLAlchemyDataLayer(conninfo=settings.data_layer_url)
    cl.data_layer(lambda: history)

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
