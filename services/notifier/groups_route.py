"""`/v1/groups/{group}/members`: who receives a group's events."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from herald.contract.events import GroupId, UserId
from herald.notifier.api_keys import READ_GROUPS, WRITE_GROUPS
from herald.notifier.auth import authenticated
from herald.notifier.broker_publisher import BrokerUnavailable
from herald.notifier.deps import NotifierDeps, notifier_deps
from herald.notifier.openapi import API_KEY, answers
from herald.notifier.problems import Problem

router = APIRouter(prefix="/v1/groups/{group}/members", tags=["groups"])

Group = Annotated[GroupId, Path(description="letters, digits and _ @ + -")]
Member = Annotated[UserId, Path(description="a Herald user id")]
_KEY_PROBLEMS = {401: "The API key is missing or not known.", 403: "The API key lacks the scope.",
                 422: "The group or user id is malformed."}
_CHANGED = answers({204: ("Done (also when nothing had to change).", None)},
                   {**_KEY_PROBLEMS, 503: "The broker did not take the change; nothing changed. Retry later."})


@router.get("", summary="List a group's members", responses=answers({}, _KEY_PROBLEMS),
            openapi_extra=API_KEY)
async def list_members(request: Request, group: Group) -> dict[str, object]:
    authenticated(request, READ_GROUPS, WRITE_GROUPS)
    return {"group": group, "members": await notifier_deps(request).groups.members(group)}


@router.put("/{user}", status_code=204, summary="Add a member (idempotent)", responses=_CHANGED,
             openapi_extra=API_KEY)
async def add_member(request: Request, group: Group, user: Member) -> Response:
    authenticated(request, WRITE_GROUPS)
    deps = notifier_deps(request)
    await _broker_step(deps, deps.publisher.bind_member(group, user))
    await deps.groups.add(group, user)
    return Response(status_code=204)


@router.delete("/{user}", status_code=204, summary="Remove a member (idempotent)", responses=_CHANGED,
                openapi_extra=API_KEY)
async def remove_member(request: Request, group: Group, user: Member) -> Response:
    authenticated(request, WRITE_GROUPS)
    deps = notifier_deps(request)
    await _broker_step(deps, deps.publisher.unbind_member(group, user))
    await deps.groups.remove(group, user)
    return Response(status_code=204)


async def _broker_step(deps: NotifierDeps, step: Awaitable[None]) -> None:
    try:
        await step
    except BrokerUnavailable as exc:
        retry_after = str(deps.settings.retry_after_seconds)
        raise Problem(503, f"The broker did not take the change: {exc}. Nothing changed; retry later.",
                      headers={"Retry-After": retry_after}) from exc
