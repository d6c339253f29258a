"""What idle tabs cost a chat replica's CPU: N connected tabs that receive nothing, measured over a window.

Herald proves a tab read an event with a ping of its own queued behind the emit (services/chat/
socket_liveness.py) rather than with a shorter engine.io ping interval for every tab, so an idle tab
should cost what it cost before. This measures it, for the code under test and, with --baseline, for
another checkout of Herald (e.g. the main branch) on the same broker, in turns:

    python -m bench.idle_sockets --tabs 200 --seconds 30 --baseline /work/main

Bounded: one private broker node, one chat at a time, N socket.io clients in this process. Prints the
chat's CPU time per idle tab per minute and its resident memory per tab.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.cpu import cpu_seconds
from bench.sessions import HeaderLogins, SessionPool, wait_consumed
from herald.contract.topology import session_queue_name
from scripts.rabbitmq_node import private_node
from tests.support import processes
from tests.support.processes import ROOT


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def measure(amqp_url: str, workdir: Path, code: Path, tabs: int, seconds: float) -> dict[str, float]:
    users = workdir / "no-users.toml"
    # The checkout's herald package (src/herald) ahead of the one the venv installed.
    env = {"HERALD_AUTH_MODE": "header", "PYTHONPATH": f"{code / 'src'}:{code}"}
    with processes.chat(amqp_url, users, workdir, name=f"idle-{code.name}-{time.monotonic_ns()}", env=env,
                        app=code / "services/chat/app.py") as chat:
        pid = chat.process.pid
        before_kib = resident_kib(pid)
        logins = HeaderLogins(chat.url)
        pool = SessionPool(chat.url)
        try:
            opened = await pool.open(tabs, lambda n: logins.token(f"idle-{n}"))
            missing = await wait_consumed(amqp_url, [session_queue_name(tab.session_id) for tab in opened], 60)
            await asyncio.sleep(5)  # let the connects' own work settle before the window
            start_cpu, start = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(seconds)  # the measurement window: the tabs sit idle
            used, elapsed = cpu_seconds(pid) - start_cpu, time.monotonic() - start
            after_kib = resident_kib(pid)
        finally:
            await pool.close()
            await logins.close()
    return {"cpu_ms_per_tab_minute": used / tabs / elapsed * 60 * 1000, "cpu_percent": used / elapsed * 100,
            "kib_per_tab": (after_kib - before_kib) / tabs, "not_consumed": missing}


async def main(tabs: int, seconds: float, baseline: Path | None, rounds: int) -> None:
    codes = [ROOT] + ([baseline] if baseline else [])
    with private_node() as node, tempfile.TemporaryDirectory(prefix="herald-idle-") as scratch:
        workdir = Path(scratch)
        (workdir / "no-users.toml").write_text("")
        for round_number in range(rounds):
            for code in codes:
                figures = await measure(node.url, workdir, code, tabs, seconds)
                print(f"round {round_number + 1} {code}: {tabs} idle tabs over {seconds:g} s: "
                      f"chat CPU {figures['cpu_percent']:.2f} % of a core, "
                      f"{figures['cpu_ms_per_tab_minute']:.3f} ms per tab per minute; "
                      f"{figures['kib_per_tab']:.1f} KiB resident per tab; "
                      f"{figures['not_consumed']:g} tabs not taken up", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another Herald checkout to measure in turns")
    args = parser.parse_args()
    asyncio.run(main(args.tabs, args.seconds, args.baseline, args.rounds))
