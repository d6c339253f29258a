"""A private Postgres server from Debian's `postgresql` package, on a free loopback port, for the tests.

Started the way the private RabbitMQ node is (scripts/rabbitmq_node.py): its data lives in a scratch
directory of the test run (HERALD_SCRATCH_DIR), a watchdog kills it and removes that directory should the
test process die without stopping it, and a server that cannot be had is an error, never a skip.

Postgres refuses to run as root. As root (CI, these machines) initdb and the server run as the `postgres`
user the package creates, dropped to with `setpriv`, which execs (unlike `runuser` or `su`, which fork and
stay as the parent): the process the test holds is the postmaster itself, so signals reach it directly.
As any other user they run as that user. Both run in the server's own directory, so that nothing hangs
on the test's working directory (a checkout under /root, say) being open to the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.rabbitmq_node import disarm, free_port, watchdog

BINARIES = Path("/usr/lib/postgresql")
INSTALL_HINT = "Install Debian's Postgres with `apt-get install -y postgresql`."
SUPERUSER = "herald"
# A test server keeps nothing worth a crash: skip the syncs, which cost seconds on a loaded disk.
TEST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresUnavailable(RuntimeError):
    """No Postgres server could be started; the message says why and how to get one."""


@dataclass
class PostgresServer:
    base: Path
    port: int
    bin_dir: Path
    process: subprocess.Popen[bytes]
    dog: subprocess.Popen[bytes]
    started_in: float  # seconds from initdb to accepting connections

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run([str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
                               "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str) -> str:
        """A fresh database of the test's own; its SQLAlchemy URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """A fast shutdown (SIGINT: clients are disconnected, the server stops at once)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        disarm(self.dog)


def bin_dir() -> Path:
    """The newest installed major version's binaries."""
    found = sorted(BINARIES.glob("*/bin/postgres"), key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit()
                   else 0)
    if not found:
        raise PostgresUnavailable(f"Postgres is not installed here (no {BINARIES}/<version>/bin/postgres). "
                                  f"{INSTALL_HINT}")
    return found[-1].parent


def _as_server_user() -> list[str]:
    """The command prefix that runs initdb and postgres as a user they accept."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(f"running as root, and there is no `postgres` user to run Postgres as. "
                                  f"{INSTALL_HINT}") from exc
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def start_server(base: Path, timeout: float = 60) -> PostgresServer:
    """initdb a cluster under `base` and start it on a free loopback port; return once it accepts connections."""
    binaries, prefix = bin_dir(), _as_server_user()
    started = time.monotonic()
    if prefix:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    init = subprocess.run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                           "--encoding=UTF8", "--locale=C", "--no-sync"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=base)
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed ({init.returncode}): {init.stderr.strip()[-2000:]}")
    port = free_port()
    settings = [part for setting in TEST_SETTINGS for part in ("-c", setting)]
    with (base / "server.log").open("ab") as log:
        process = subprocess.Popen([*prefix, str(binaries / "postgres"), "-D", str(data), "-p", str(port),
                                    "-h", "127.0.0.1", "-k", str(base), *settings],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, cwd=base)
    server = PostgresServer(base, port, binaries, process, watchdog(process.pid, remove=base), 0.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            tail = (base / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"postgres exited with {process.returncode}:\n{tail}")
        ready = subprocess.run([str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
                               timeout=30, check=False)
        if ready.returncode == 0:
            server.started_in = time.monotonic() - started
            return server
        time.sleep(0.1)  # polling a port: there is no event to wait on
    server.stop()
    raise PostgresUnavailable(f"postgres did not accept connections on port {port} in {timeout:.0f} s")


@contextmanager
def private_server() -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="herald-postgres-", dir=os.environ.get("HERALD_SCRATCH_DIR")))
    try:
        server = start_server(base)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
