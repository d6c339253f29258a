"""What the run ran on, and how busy the machine was: every figure is only comparable within one run."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _first(path: str, field: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(field)), None)


def _version(*command: str) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else None


def describe() -> dict[str, Any]:
    memory = _first("/proc/meminfo", "MemTotal")
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "memory_gib": round(int(memory.split()[0]) / 2**20, 1) if memory else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rabbitmq": _version("dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"),
        "wrk": _version("wrk", "--version"),
    }


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat[stat.rindex(")") + 2:].split()[1])
    return pids


def other_load() -> dict[str, Any]:
    """Other work on the machine (e.g. test suites) makes the figures noisy; say so in the results."""
    others, brokers, mine = 0, 0, _ancestors()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in mine:
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            others += b"pytest" in command
            # An Erlang VM already running: another broker (a forgotten private node once took 8 % of
            # a core and 730 MB under a run). The run's own node starts after this is taken.
            brokers += command.startswith(b"/usr/lib/erlang/") and b"beam" in command
    return {"load_average_1m": round(os.getloadavg()[0], 2), "other_pytest_processes": others,
            "other_rabbitmq_nodes": brokers, "speed_probe_ms": speed_probe_ms(),
            "file_create_probe_us": file_create_probe_us()}


def speed_probe_ms(rounds: int = 7) -> float:
    """How long a fixed piece of pure-Python work takes on this machine now (the median of `rounds`).

    The same code took 15-30 % more CPU per event, and #3's p50 went from 3-6 ms to 20-40 ms within one
    hour on this VM, with nothing else running inside it: its host is shared, and the VM reports no
    steal time. The probe makes that visible in the results, so two runs can be compared."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        sum(i * i for i in range(200_000))
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def file_create_probe_us(files: int = 500) -> float:
    """How long creating a small file takes now where the private node keeps its data (the temporary
    directory), in µs a file.

    Figure 6 hangs on it: nearly each of its events is the first in its inbox, and the broker then
    creates a file. On this VM's root file system, ext4 without a journal, the same 5,000 files took
    127 µs each, and 260-570 µs each for minutes after a few rounds of creating and deleting them. With
    no journal, ext4 passes over every inode freed in the last 60 s (360 s while its inode table block
    is not yet written back) when it allocates one (`recently_deleted` in fs/ext4/ialloc.c), and the
    test suites, the purges and the earlier figures free thousands."""
    with tempfile.TemporaryDirectory(prefix="herald-probe-") as directory:
        started = time.perf_counter()
        for n in range(files):
            handle = os.open(os.path.join(directory, str(n)), os.O_CREAT | os.O_WRONLY, 0o600)
            os.write(handle, b"probe")
            os.close(handle)
        return round((time.perf_counter() - started) / files * 1e6, 1)
