"""CPU time of process trees, from /proc: who used the two cores during a measurement."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # the command name may hold spaces


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """User + system time of `root` and its live descendants."""
    total = 0
    for pid in process_tree(root):
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended (wrk, once it has run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_share(processes: dict[str, int], seconds: dict[str, float]) -> Iterator[None]:
    """Fill `seconds` with each named process tree's CPU time spent inside the block (this process too)."""
    start = {name: cpu_seconds(pid) for name, pid in processes.items()}
    own = os.times()
    yield
    seconds.update({name: cpu_seconds(pid) - start[name] for name, pid in processes.items()})
    now = os.times()
    seconds["harness"] = (now.user - own.user) + (now.system - own.system)
