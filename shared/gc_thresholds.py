"""CPython's garbage-collector thresholds for Herald's serving processes: the notifier, the chat
replicas, and the benchmark harness's clients.

CPython collects its young generation whenever the objects allocated minus those freed exceed 700.
Work that waits (on the broker, on a socket) keeps objects alive across many requests, so the count
keeps crossing 700 and each collection walks everything still in flight, promoting it until full
collections run:
- a chat replica holds many long-lived objects per connected tab (Chainlit's session, socket.io's and
  the websocket's state). A broadcast to every tab promoted its in-flight objects until full
  collections ran, and each stopped a replica with 1,000 tabs for 200-470 ms (measured with
  gc.callbacks). With a young generation of 50,000 objects the burst's objects die young: broadcasts
  to 1,000 tabs went from 90-650 ms to 70-120 ms.
- the notifier's 32 requests waiting for their confirms made it collect every ~9 requests: 50-57 µs
  of CPU per request, a sixth of it (figure #1, in-process, gc.callbacks). With these thresholds it
  collected once in 18,000 requests. (The empty endpoint of figure #1 answers each request in one
  step and collected 5 times in 43,000 with the defaults; it keeps them, see bench/empty_app.py.)
Reference counting still frees everything that is not in a cycle at once; only cyclic garbage waits
longer, and Herald makes little (no collection at all in 6 s at the notifier's full rate).
"""

from __future__ import annotations

import gc

from herald.contract.bench_switches import turned_off

GC_THRESHOLDS = (50_000, 20, 100)


def use_serving_thresholds() -> None:
    """Unless a benchmark run measures without them (HERALD_BENCH_WITHOUT=gc_thresholds)."""
    if "gc_thresholds" not in turned_off():
        gc.set_threshold(*GC_THRESHOLDS)
