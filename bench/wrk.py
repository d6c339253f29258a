"""Closed-loop HTTP load with wrk and the Lua script beside this module."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import children_cpu_seconds

SCRIPT = Path(__file__).parent / "wrk" / "events.lua"


class WrkMissing(RuntimeError):
    pass


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing("the benchmarks need wrk, the HTTP load generator: `apt-get install -y wrk` (Debian/Ubuntu)")
    return wrk


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    non_202: int
    rejected_events: int
    socket_errors: int
    latency_ms: dict[str, float]
    cpu_seconds: float  # wrk's own

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "seconds": round(self.seconds, 3), "rate": round(self.rate, 1),
                "non_202": self.non_202, "rejected_events": self.rejected_events,
                "socket_errors": self.socket_errors, "latency_ms": self.latency_ms,
                "wrk_cpu_seconds": round(self.cpu_seconds, 2)}


def run_wrk(url: str, path: str, api_key: str, *, users: int, prefix: str, per_request: int, seconds: float,
            connections: int, first: int = 0, threads: int = 1) -> WrkRun:
    """Load `url + path` for `seconds`; `per_request` > 0 posts batches of that many events. The first
    request goes to user number `first`, each next one to the next user."""
    command = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(SCRIPT), url, "--", path, api_key, str(users), prefix, str(per_request), str(first)]
    cpu_before = children_cpu_seconds()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    cpu = children_cpu_seconds() - cpu_before
    lines = [line for line in finished.stdout.splitlines() if line.startswith("WRK_JSON ")]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    summary = json.loads(lines[-1].removeprefix("WRK_JSON "))
    errors = summary["errors"]
    return WrkRun(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        non_202=summary["non_202"],
        rejected_events=summary["rejected_events"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        latency_ms={name: round(value / 1000, 3) for name, value in summary["latency_us"].items()},
        cpu_seconds=cpu,
    )
