"""The Herald demo chat: a plain Chainlit app with a login and Herald's delivery attached.

Run it with `chainlit run services/chat/app.py --host H --port P`.
"""

import chainlit as cl

from services.chat.config import ChatSettings
from services.chat.delivery import attach
from services.chat.login import install_login

settings = ChatSettings()
install_login(settings)
attach(settings)  # everything Herald needs; the hooks below stay the app's own

if settings.data_layer_url:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from chainlit.types import ThreadDict

    history = SQLAlchemyDataLayer(conninfo=settings.data_layer_url)
    cl.data_layer(lambda: history)

    @cl.on_chat_resume
    async def resume(thread: ThreadDict) -> None:
        pass  # Chainlit replays the thread's messages, Herald's persisted ones among them


@cl.on_chat_start
async def greet() -> None:
    user = cl.user_session.get("user")
    name = user.display_name or user.identifier if user else "there"
    await cl.Message(content=f"Hi {name}. Notifications for you will appear here.").send()


@cl.on_message
async def echo(message: cl.Message) -> None:
    await cl.Message(content=f"You said: {message.content}").send()
