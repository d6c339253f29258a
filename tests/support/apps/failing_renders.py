"""A Chainlit app with Herald attached whose rendering fails, for real and in the chat process, while
the file named by HERALD_TEST_FAIL_RENDERS exists: the author-rename function, which Herald applies
to every message it renders, raises. It is set on Chainlit's config directly: `@cl.author_rename`
wraps it in a handler that logs and swallows the exception."""

import asyncio
import os
from pathlib import Path

import chainlit as cl
from chainlit.config import config

from herald.chat.config import ChatSettings
from herald.chat.delivery import attach
from herald.chat.login import install_login

FAIL_WHILE = Path(os.environ["HERALD_TEST_FAIL_RENDERS"])

settings = ChatSettings()
install_login(settings)
attach(settings)


async def rename(author: str) -> str:
    if await asyncio.to_thread(FAIL_WHILE.exists):  # a stat, off the event loop
        raise RuntimeError("rendering fails on purpose (tests/support/apps/failing_renders.py)")
    return author


config.code.author_rename = rename


@cl.on_chat_start
async def start() -> None:
    pass  # Chainlit serves only an app with a chat hook; Herald needs none of its own
