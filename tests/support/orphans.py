"""Checking that what a process started dies with it, even when it is killed outright."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.support.processes import ROOT
from tests.support.waiting import wait_until


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


async def assert_dies_with_its_owner(owner_script: str, start_timeout: float, what: str) -> list[str]:
    """Run `owner_script`, which prints the process group it started (and anything more, returned, on the
    same line) and then waits; SIGKILL it (no finally, no atexit) and wait for that group to be gone."""
    owner = await asyncio.create_subprocess_exec(sys.executable, "-c", owner_script, cwd=ROOT,
                                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert owner.stdout is not None
        first, *more = (await asyncio.wait_for(owner.stdout.readline(), timeout=start_timeout)).decode().split()
        group = int(first)
        assert alive(group)
        owner.kill()
        await owner.wait()
        await wait_until(lambda: not alive(group), timeout=30, what=f"the orphaned {what} to be killed")
    finally:
        if owner.returncode is None:
            owner.kill()
            await owner.wait()
    return more
