"""`./herald test` installs the Debian packages the suite needs (scripts/debian_packages.sh), so that the
README's test command works on a fresh machine: checked against a fake apt-get on a PATH of its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "debian_packages.sh"


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def _run(tmp_path: Path, uid: int, present: list[str], wanted: list[str],
         libs: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], str]:
    """`libs`: programs installed off PATH, under a stand-in for /usr/lib (e.g. postgresql/15/bin/postgres).
    The calls made to apt-get and service are returned, one a line."""
    bin_dir, lib_dir = tmp_path / "bin", tmp_path / "lib"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    _fake(bin_dir, "id", f"echo {uid}")
    _fake(bin_dir, "apt-get", f'echo "$*" >> {calls}')
    _fake(bin_dir, "service", f'echo "service $*" >> {calls}')
    for name in present:
        _fake(bin_dir, name, "true")
    for program in libs:
        (lib_dir / program).parent.mkdir(parents=True, exist_ok=True)
        _fake((lib_dir / program).parent, (lib_dir / program).name, "true")
    script = f"say() {{ echo \"herald: $*\" >&2; }}; source {SCRIPT}; debian_packages {' '.join(wanted)}; echo done"
    result = subprocess.run(["/bin/bash", "-c", script], env={"PATH": str(bin_dir), "HERALD_DEBIAN_LIBS": str(lib_dir)},
                            capture_output=True, text=True, check=False, timeout=30)
    return result, calls.read_text() if calls.exists() else ""


def test_root_installs_exactly_the_missing_packages(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, uid=0, present=["wrk"], wanted=["chromium", "wrk", "nginx"])
    assert result.returncode == 0, result.stderr
    assert calls.splitlines() == ["update -qq", "install -y -qq chromium nginx"]
    assert result.stdout.strip() == "done"


def test_nothing_is_installed_when_everything_is_there(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, uid=0, present=["chromium", "wrk"], wanted=["chromium", "wrk"])
    assert result.returncode == 0, result.stderr
    assert calls == ""


def test_without_root_it_names_the_command_and_stops(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, uid=1000, present=[], wanted=["chromium", "wrk"])
    assert result.returncode == 1
    assert "sudo apt-get install -y chromium wrk" in result.stderr
    assert calls == ""
    assert "done" not in result.stdout


def test_postgres_is_found_by_its_versioned_path_not_on_path(tmp_path: Path) -> None:
    # Debian puts postgres in /usr/lib/postgresql/<version>/bin, not on PATH.
    result, calls = _run(tmp_path, uid=0, present=[], wanted=["postgresql"], libs=("postgresql/15/bin/postgres",))
    assert result.returncode == 0, result.stderr
    assert calls == ""


def test_a_missing_postgres_is_installed_and_its_system_server_stopped(tmp_path: Path) -> None:
    result, calls = _run(tmp_path, uid=0, present=["wrk"], wanted=["wrk", "postgresql"],
                         libs=("postgresql/15/bin/initdb",))  # a leftover, not the server
    assert result.returncode == 0, result.stderr
    assert calls.splitlines() == ["update -qq", "install -y -qq postgresql", "service postgresql stop"]
