"""What Herald's hand-built step (services/chat/render.py) buys against Chainlit's own message, in one
process, in turns: per event, the time and CPU to make the `new_message` payload either way.

    python -m bench.hacks step --events 500 --rounds 4

Ways: `render.step` (Herald's: the dict `cl.Message.to_dict()` would give) and
`cl.Message(...).to_dict()` (what `send()` emits; its constructor sleeps 1 ms with `time.sleep`, and so
stops the replica's event loop). Both make the same content (render.message_content); the emit
after it is the same either way, so it is not timed. The wall time is what the event loop loses per
event; for a live broadcast Herald builds one step per replica, where `send()` would build one per tab.
"""

from __future__ import annotations

import time
from typing import Any

from bench.turns import turn_order
from herald.contract.events import Event, EventRequest

WAYS = ("render.step", "cl.Message")


async def measure(events: int, rounds: int) -> dict[str, list[dict[str, float]]]:
    import chainlit as cl  # imported here: Chainlit reads its config from the working directory
    from chainlit.context import init_http_context

    from herald.chat import render

    init_http_context()  # cl.Message reads Chainlit's context (made on a running loop) in its constructor

    def chainlit_way(event: Event) -> dict[str, Any]:
        return dict(cl.Message(content=render.message_content(event), author=event.source,
                               metadata=render.message_metadata(event)).to_dict())

    def herald_way(event: Event) -> dict[str, Any]:
        return dict(render.step(event, render.message_id(event, "session"), "thread"))

    ways = {"render.step": herald_way, "cl.Message": chainlit_way}
    made = [EventRequest.model_validate({"target": {"user": f"u{n}"}, "title": "Benchmark",
                                         "body": "A **benchmark** event, about as long as a short notification."})
            .to_event("bench") for n in range(events)]
    results: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
    for way in WAYS:
        for event in made[:50]:  # warm-up, not counted
            ways[way](event)
    for way in turn_order(list(WAYS), rounds):
        cpu, started = time.process_time(), time.perf_counter()
        for event in made:
            ways[way](event)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        results[way].append({"wall_us_per_event": round(wall / events * 1e6, 1),
                             "cpu_us_per_event": round(used / events * 1e6, 1)})
        print(f"{way}: {results[way][-1]}", flush=True)
    return results
