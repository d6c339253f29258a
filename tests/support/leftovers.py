"""A pytest plugin: the run fails when anything it started outlives it, a process or a scratch directory.

Scratch directories go under a directory of the run's own (`HERALD_SCRATCH_DIR`, inherited by every
process the tests start), so that test runs side by side on one machine never see each other's. The
check runs after the last session fixture is torn down."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SCRATCH_VARIABLE = "HERALD_SCRATCH_DIR"


def _children() -> dict[int, list[tuple[int, str]]]:
    """Every live process by its parent: pid and command name. Zombies are gone but for their parent's wait."""
    by_parent: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended while we looked
        command, _, rest = stat.partition(" (")[2].rpartition(") ")
        state, parent = rest.split()[:2]
        if state != "Z":
            by_parent.setdefault(int(parent), []).append((int(entry.name), command))
    return by_parent


def descendants(pid: int) -> list[tuple[int, str]]:
    by_parent, found, todo = _children(), [], [pid]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


SCRATCH_PREFIX = "herald-test-run-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_scratch_of_dead_runs(under: Path) -> list[Path]:
    """The scratch of runs that ended without their end-of-run check (killed, or forked and left by
    os._exit, as mutation testing does): named by their pid, gone once that process is."""
    removed = []
    for scratch in under.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = scratch.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(scratch, ignore_errors=True)
            removed.append(scratch)
    return removed


def pytest_configure(config: pytest.Config) -> None:
    remove_scratch_of_dead_runs(Path(tempfile.gettempdir()))
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    scratch.chmod(0o755)  # a private broker node drops to the rabbitmq user, who must reach its directory
    os.environ[SCRATCH_VARIABLE] = str(scratch)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    scratch = Path(os.environ[SCRATCH_VARIABLE])
    left = sorted(str(path) for path in scratch.iterdir()) if scratch.exists() else []
    processes = [f"{pid} {command}" for pid, command in descendants(os.getpid())]
    if not left:
        shutil.rmtree(scratch, ignore_errors=True)
    if left or processes:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "left behind by the test run", red=True)
            for what in [*left, *processes]:
                reporter.write_line(what, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
