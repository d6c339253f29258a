"""A browser tab in a process of its own, so that a test can stall it (SIGSTOP: it reads nothing and
answers no ping, as a frozen or backgrounded browser) and kill it (SIGKILL: the kernel closes its
socket, as a crashed browser or a dropped network).

`python -m tests.support.tab_process URL TOKEN SESSION_ID OUT` connects as Chainlit's frontend does and
appends to OUT, one line each, `ready` once connected, then `<message id> <Herald event id>` for each
Herald event shown, written straight to the file so that a kill loses nothing it has shown.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from tests.support.chat_client import ChatTab


async def run(url: str, token: str, session_id: str, out: Path) -> None:
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    tab = ChatTab(url, token, session_id=session_id)

    async def shown(step: dict[str, Any]) -> None:
        event_id = (step.get("metadata") or {}).get("herald_event_id")
        if step.get("type") == "assistant_message" and event_id:
            os.write(descriptor, f"{step['id']} {event_id}\n".encode())

    tab.client.on("new_message", shown)
    await tab.connect()
    os.write(descriptor, b"ready\n")
    await tab.client.wait()


def shown_by(out: Path) -> list[tuple[str, str]]:
    """(message id, event id) of what a tab process has shown, in order."""
    lines = out.read_text().splitlines() if out.exists() else []
    return [(line.split()[0], line.split()[1]) for line in lines if line != "ready"]


def is_ready(out: Path) -> bool:
    return out.exists() and "ready" in out.read_text().splitlines()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])))
