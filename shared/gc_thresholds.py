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

What they buy, against CPython's defaults in turns (docs/benchmarks.md, "What the optimisations buy"):
a replica with 1,000 tabs spent 2.9 s of CPU on 20 broadcasts instead of 5.2 s, its slowest broadcast
reached the last tab in 0.5-0.9 s instead of 2.0-2.7 s (`python -m bench.hacks replica`); the notifier
spent 287 µs of CPU per single event instead of 353 (`python -m bench.hacks notifier`). Their price:
the connects' cyclic garbage waits longer, and figure #5 (RSS per idle tab) reads ~80 KiB instead of
~70. No private API: `gc.set_threshold` is public; what depends on CPython is how much they buy.
A benchmark run turns them off with HERALD_BENCH_WITHOUT=gc_thresholds (shared/bench_switches.py).
"""

from __future__ import annotations

import gc

from herald.contract.bench_switches import turned_off

GC_THRESHOLDS = (50_000, 20, 100)


def use_serving_thresholds() -> None:
    """Unless a benchmark run measures without them (HERALD_BENCH_WITHOUT=gc_thresholds)."""
    if "gc_thresholds" not in turned_off():
        gc.set_threshold(*GC_THRESHOLDS)
