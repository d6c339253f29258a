"""`/v1/groups/{group}/members`: who receives a group's events."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.notifier.api_keys import READ_GROUPS, WRITE_GROUPS
from services.notifier.auth import authenticated
from services.notifier.problems import Problem
from services.notifier.publisher import BrokerUnavailable
from shared.events import GroupId, UserId

router = APIRouter(prefix="/v1/groups/{group}/members", tags=["groups"])

Group = Annotated[GroupId, Path(description="letters, digits and _ @ + -")]
Member = Annotated[UserId, Path(description="a Herald user id")]


@router.get("", summary="List a group's members")
async def list_members(request: Request, group: Group) -> dict[str, object]:
    authenticated(request, READ_GROUPS, WRITE_GROUPS)
    return {"group": group, "members": await request.app.state.groups.members(group)}


@router.put("/{user}", status_code=204, summary="Add a member (idempotent)")
async def add_member(request: Request, group: Group, user: Member) -> Response:
    authenticated(request, WRITE_GROUPS)
    await _broker_step(request, request.app.state.publisher.bind_member(group, user))
    await request.app.state.groups.add(group, user)
    return Response(status_code=204)


@router.delete("/{user}", status_code=204, summary="Remove a member (idempotent)")
async def remove_member(request: Request, group: Group, user: Member) -> Response:
    authenticated(request, WRITE_GROUPS)
    await _broker_step(request, request.app.state.publisher.unbind_member(group, user))
    await request.app.state.groups.remove(group, user)
    return Response(status_code=204)


async def _broker_step(request: Request, step: Awaitable[None]) -> None:
    try:
        await step
    except BrokerUnavailable as exc:
        retry_after = str(request.app.state.settings.retry_after_seconds)
        raise Problem(503, f"The broker did not take the change: {exc}. Nothing changed; retry later.",
                      headers={"Retry-After": retry_after}) from exc
