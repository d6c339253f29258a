"""What Herald relies on in the installed Chainlit, checked without running Chainlit's server:
- render.py: the step Herald builds by hand (instead of constructing `cl.Message`, whose constructor
  sleeps on the event loop) is the dict `cl.Message(...).to_dict()` gives, key for key, each value of the
  type Chainlit's `StepDict` declares;
- session_hooks.py: the socket.io handlers Herald wraps exist, and take the arguments it passes on.

When a Chainlit upgrade changes one, this fails and names it, before the frontend silently renders
Herald's messages differently, or a tab's connect stops reaching Herald."""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import chainlit as cl
import pytest
from chainlit.context import init_http_context
from chainlit.server import sio
from chainlit.step import StepDict

from herald.chat import render
from herald.contract.events import EventRequest

pytestmark = pytest.mark.unit


def _instance_of(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_instance_of(value, member) for member in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    return isinstance(value, origin or hint)


async def test_heralds_step_has_the_keys_and_types_of_a_chainlit_message() -> None:
    init_http_context()  # cl.Message reads the context in its constructor; this task's own, then gone
    chainlit_step = cl.Message(content="hello", author="source", metadata={"herald_event_id": "e"}).to_dict()
    event = EventRequest.model_validate({"target": {"user": "alice"}, "title": "t", "body": "b"}).to_event("src")
    herald_step = render.step(event, "step-id", "thread-id")

    assert set(herald_step) == set(chainlit_step), (
        f"Chainlit's step has {sorted(set(chainlit_step) - set(herald_step))} that Herald's lacks, "
        f"Herald's has {sorted(set(herald_step) - set(chainlit_step))} that Chainlit's lacks "
        "(render.assistant_step)")
    declared = typing.get_type_hints(StepDict)
    wrong = {key: (type(value).__name__, declared.get(key)) for key, value in herald_step.items()
             if key not in declared or not _instance_of(value, declared[key])}
    assert not wrong, f"keys of Herald's step whose value is not of the type Chainlit's StepDict declares: {wrong}"
    # Where Chainlit has a value before sending, Herald's is of the same type (the times are set by send()).
    differ = {key for key, value in chainlit_step.items()
              if value is not None and type(value) is not type(herald_step[key])}
    assert not differ, f"Herald's step differs in type from Chainlit's message at {sorted(differ)}"
    assert herald_step["type"] == chainlit_step["type"] == "assistant_message"


# What session_hooks.py calls each wrapped handler with.
WRAPPED_HANDLERS = {"connect": ["sid", "environ", "auth"], "connection_successful": ["sid"], "disconnect": ["sid"]}


def test_the_socket_handlers_herald_wraps_take_what_it_passes_on() -> None:
    handlers = sio.handlers["/"]
    missing = sorted(set(WRAPPED_HANDLERS) - set(handlers))
    assert not missing, f"Chainlit registers no socket.io handler {missing} (services/chat/session_hooks.py wraps it)"
    for name, arguments in WRAPPED_HANDLERS.items():
        signature = inspect.signature(handlers[name])
        assert inspect.iscoroutinefunction(handlers[name]), f"Chainlit's {name} handler is no longer a coroutine"
        try:
            signature.bind(*arguments)
        except TypeError as exc:
            raise AssertionError(f"Chainlit's {name} handler{signature} does not take {arguments}: {exc}") from None
