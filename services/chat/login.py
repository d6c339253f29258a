"""Chainlit login, by configuration: a password users file for the demo, or a header set by an SSO proxy."""

from __future__ import annotations

import asyncio

import chainlit as cl
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers

from herald.chat.config import ChatSettings
from herald.chat.users import load_users, verify_password
from herald.contract.events import UserId

_user_id = TypeAdapter(UserId)


def install_login(settings: ChatSettings) -> None:
    if settings.auth_mode == "header":
        header = settings.auth_header.lower()

        @cl.header_auth_callback
        async def from_header(headers: Headers) -> cl.User | None:
            try:
                # The id names the user's inbox, so it must be a valid Herald user id.
                user = _user_id.validate_python(headers.get(header))
            except ValidationError:
                return None
            return cl.User(identifier=user, metadata={"provider": "header"})

        return

    users = load_users(settings.users_file)  # a broken users file stops the start, with its reason

    @cl.password_auth_callback
    async def from_password(username: str, password: str) -> cl.User | None:
        record = users.users.get(username)
        if record is None:
            return None
        # scrypt takes tens of milliseconds on purpose: run it off the event loop.
        if not await asyncio.to_thread(verify_password, password, record.password_hash):
            return None
        return cl.User(identifier=username, display_name=record.display_name, metadata={"provider": "password"})
