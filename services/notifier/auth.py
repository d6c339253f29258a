"""Bearer API-key authentication, in one FastAPI dependency per scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from services.notifier.api_keys import PUBLISH_EVENTS, READ_GROUPS, WRITE_GROUPS, ApiKey, ApiKeyring
from services.notifier.problems import Problem

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="herald"'}


def _keyring(request: Request) -> ApiKeyring:
    keyring: ApiKeyring = request.app.state.keyring
    return keyring


def require_scope(*scopes: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A dependency that admits a key holding any one of `scopes`."""

    async def authenticated(request: Request) -> ApiKey:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Send your API key as `Authorization: Bearer <key>`.", headers=_CHALLENGE)
        key = _keyring(request).authenticate(token.strip())
        if key is None:
            raise Problem(401, "The API key is not known. Check for typos, or make a new key.",
                          headers=_CHALLENGE)
        if key.scopes.isdisjoint(scopes):
            wanted = " or ".join(f"'{scope}'" for scope in scopes)
            raise Problem(403, f"The API key '{key.name}' lacks the scope {wanted}.")
        return key

    return authenticated


Publisher = Annotated[ApiKey, Depends(require_scope(PUBLISH_EVENTS))]
GroupWriter = Annotated[ApiKey, Depends(require_scope(WRITE_GROUPS))]
GroupReader = Annotated[ApiKey, Depends(require_scope(READ_GROUPS, WRITE_GROUPS))]
