"""A private RabbitMQ node on free loopback ports, for machines without a Docker engine.

Used by the test fixture and by `./herald up`. The node keeps all its state in a temporary
directory (its own Erlang cookie included, via HOME), so it never touches a system-wide broker.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from herald.contract.topology import QUEUE_VERSION_POLICIES

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")
INSTALL_HINT = (
    "Install Debian's RabbitMQ with `apt-get install -y rabbitmq-server`, or set HERALD_TEST_AMQP_URL "
    "to a broker you already run, or start a Docker engine so testcontainers can run one."
)


class BrokerUnavailable(RuntimeError):
    """No RabbitMQ could be had; the message says how to get one."""


class PortTaken(BrokerUnavailable):
    """Another process bound a port between `free_port()` and the node's start."""


# free_port() only finds a port that was free a moment ago: another process may bind it before the node
# does. A node on ports of its own choosing then starts again on new ones, this many times at most.
PORT_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RabbitMQNode:
    name: str
    base: Path
    amqp_port: int
    management_port: int | None
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    watchdog: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CTL), "-n", self.name, *args],
            env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ctl("stop", timeout=60)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # The whole process group (the node runs in a session of its own): killing only the
                # rabbitmq-server shell left beam.smp running, with its port, memory and CPU.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.watchdog is not None:
            disarm(self.watchdog)


def node_environment(name: str, base: Path, amqp_port: int, management_port: int | None) -> dict[str, str]:
    plugins = base / "enabled_plugins"
    plugins.write_text("[rabbitmq_management].\n" if management_port else "[].\n")
    config = base / "rabbitmq.conf"
    lines = ["loopback_users.guest = true", "log.console = false", "log.file.level = warning",
             # Message bodies in the node's shared message store, not in each queue's own files: with
             # events spread over thousands of inboxes most messages go to an empty queue, and the
             # per-queue files cost the broker more than the events (docs/benchmarks.md, #6).
             "queue_index_embed_msgs_below = 0"]
    if management_port:
        lines += [f"management.tcp.port = {management_port}", "management.tcp.ip = 127.0.0.1"]
    config.write_text("\n".join(lines) + "\n")
    # Flags given in the caller's environment come after Herald's, and win.
    erlang_flags = f"{erlang_scheduler_flags()} {os.environ.get('RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS', '')}"
    env = dict(os.environ)
    env.update(
        HOME=str(base),  # the Erlang cookie lives here, private to this node
        RABBITMQ_NODENAME=name,
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(amqp_port),
        RABBITMQ_DIST_PORT=str(free_port()),
        RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
        RABBITMQ_LOG_BASE=str(base / "log"),
        RABBITMQ_PID_FILE=str(base / "node.pid"),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(plugins),
        RABBITMQ_CONFIG_FILE=str(config),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=erlang_flags.strip(),
    )
    return env


def erlang_scheduler_flags(cpus: int | None = None) -> str:
    """Erlang schedulers for half of the machine's CPUs (at least one), not one per CPU (Erlang's default).

    This node shares its machine with the notifier, the chat replicas and whatever loads them. With a
    scheduler per CPU, the broker's processes (channel, queue, message store) pass each message across
    scheduler threads, and those wake-ups preempt the Python services on every core. On 2 CPUs with one
    scheduler: the notifier went from 1,570-1,880 to 2,150-2,520 single events/s, the broker's CPU per
    event fell by about a third, and 500 events/s end to end went from p50 90-630 to 13-66 ms
    (docs/benchmarks.md, the 07:38 UTC run). File work (creating, syncing) runs on Erlang's dirty I/O
    threads either way. A caller's own `+S` in RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS overrides this.
    """
    schedulers = max(1, (cpus or os.cpu_count() or 2) // 2)
    return f"+S {schedulers}:{schedulers}"


def start_node(
    base: Path, amqp_port: int | None = None, management_port: int | None = None, timeout: float = 90,
    name: str | None = None, scratch: bool = False,
) -> RabbitMQNode:
    """Start a node whose data lives under `base`; return once it accepts AMQP connections.

    The data is kept per node name: give a fixed `name` to find the same messages on the next start.
    A `scratch` base is removed with the node should this process die without stopping it.
    """
    if not SERVER.exists():
        raise BrokerUnavailable(f"RabbitMQ is not installed here ({SERVER} is missing). {INSTALL_HINT}")
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, PORT_ATTEMPTS + 1):
        try:
            return _start_node(base, amqp_port or free_port(), management_port, timeout, name, scratch)
        except PortTaken:
            if amqp_port or attempt == PORT_ATTEMPTS:
                raise  # ports the caller chose: trying others would not start the node it asked for
    raise AssertionError("unreachable")


def _start_node(base: Path, port: int, management_port: int | None, timeout: float, name: str | None,
                scratch: bool) -> RabbitMQNode:
    name = name or f"herald-{port}@localhost"
    env = node_environment(name, base, port, management_port)
    with (base / "server.out").open("ab") as log:
        written_before = log.tell()  # an earlier attempt's output is not this one's
        process = subprocess.Popen([str(SERVER)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    node = RabbitMQNode(name, base, port, management_port, process, env,
                        watchdog(process.pid, remove=base if scratch else None))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with (base / "server.out").open("rb") as out:
                out.seek(written_before)
                tail = out.read().decode(errors="replace")[-2000:]
            node.stop()  # its watchdog
            problem = PortTaken if "eaddrinuse" in tail else BrokerUnavailable
            raise problem(f"rabbitmq-server exited with {process.returncode}:\n{tail}")
        if _accepts(port):
            _set_queue_version_policies(node)
            return node
        time.sleep(0.2)  # polling a port: there is no event to wait on
    node.stop()
    raise BrokerUnavailable(f"rabbitmq-server did not accept connections on port {port} in {timeout:.0f} s")


def watchdog(group: int, remove: Path | None = None) -> subprocess.Popen[bytes]:
    """A process that kills process group `group` once this process is gone, however it ends, and then
    removes the directory `remove`.

    It waits on a pipe only this process writes to; the kernel closes it when this process dies, even
    by SIGKILL, where no `finally` or atexit runs. Nodes whose owner was killed outright used to
    live on, holding their port, ~700 MB and some CPU, and skewed the benchmarks run beside them; and
    their data directories stayed in /tmp, one per test run (59 here after a day). Stop it with
    `disarm` once the group has ended as planned.
    """
    # A second's pause: a write the killed node had under way may still create a file.
    then = f"; sleep 1; rm -rf -- {shlex.quote(str(remove))}" if remove else ""
    return subprocess.Popen(["sh", "-c", f"read _; kill -9 -{group}{then}"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def disarm(dog: subprocess.Popen[bytes]) -> None:
    # Killed first, its pipe closed after: the group's id may be another's by now.
    dog.kill()
    dog.wait()
    if dog.stdin is not None:
        dog.stdin.close()


def _set_queue_version_policies(node: RabbitMQNode) -> None:
    """The classic queue versions of Herald's queues (herald.contract.topology.QUEUE_VERSION_POLICIES), imported
    into the running node in one rabbitmqctl call (each call costs a second or two of CLI start-up).
    Imported, not loaded at boot: with a definitions file at boot, RabbitMQ does not create its guest
    user."""
    definitions = node.base / "herald-policies.json"
    definitions.write_text(json.dumps({"policies": [
        {"vhost": "/", "name": policy.name, "pattern": policy.pattern, "apply-to": "queues",
         "priority": policy.priority, "definition": {"queue-version": policy.version}}
        for policy in QUEUE_VERSION_POLICIES
    ]}))
    done = node.ctl("import_definitions", str(definitions))
    if done.returncode != 0 and "app to be running" in done.stderr + done.stdout:
        # The AMQP listener opens a moment before the node counts itself booted; on a loaded machine
        # the call can land in between ("requires the 'rabbit' app to be running").
        node.ctl("await_startup")
        done = node.ctl("import_definitions", str(definitions))
    if done.returncode != 0:
        node.stop()
        raise BrokerUnavailable(f"rabbitmqctl import_definitions failed: {done.stderr.strip() or done.stdout.strip()}")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"AMQP\x00\x00\x09\x01")
            return bool(conn.recv(1))
    except OSError:
        return False


@contextmanager
def private_node(management: bool = False) -> Iterator[RabbitMQNode]:
    # HERALD_SCRATCH_DIR: where a test run keeps its scratch, so that it can check none is left behind.
    base = Path(tempfile.mkdtemp(prefix="herald-rabbitmq-", dir=os.environ.get("HERALD_SCRATCH_DIR")))
    node = start_node(base, management_port=free_port() if management else None, scratch=True)
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)
