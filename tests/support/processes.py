"""The notifier and chat as real subprocesses on free loopback ports."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from herald.chat.server import DEFAULT_APP
from scripts.rabbitmq_node import PORT_ATTEMPTS, PortTaken, disarm, free_port, watchdog
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
# Shared by every chat replica of a test run, as in production: a login on one replica holds on all.
AUTH_SECRET = secrets.token_hex(32)


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_ready(service: Service, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            output = service.output()
            problem = PortTaken if "address already in use" in output.lower() else RuntimeError
            raise problem(f"{service.name} exited with {service.process.returncode}:\n{output[-3000:]}")
        try:
            if httpx.get(service.url + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a port: there is no event to wait on
    raise RuntimeError(f"{service.name} was not ready in {timeout:g} s:\n{service.output()[-3000:]}")


@contextmanager
def running(name: str, command: list[str], env: dict[str, str], workdir: Path, ready_path: str,
            port: int, timeout: float = 60) -> Iterator[Service]:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        # A group of its own, killed by a watchdog should this process die without its `finally` (a
        # test run killed outright): notifiers and chats left behind held ports, memory and CPU.
        process = subprocess.Popen(command, cwd=workdir, env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    dog = watchdog(process.pid)
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(service, ready_path, timeout)
        yield service
    finally:
        stop(process, dog)


def stop(process: subprocess.Popen[bytes], dog: subprocess.Popen[bytes], grace_seconds: float = 15) -> None:
    """SIGTERM, and SIGKILL after `grace_seconds`; then the watchdog is no longer needed."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    disarm(dog)


def on_a_free_port(stack: ExitStack, start: Callable[[int], AbstractContextManager[Service]]) -> Service:
    """`start(port)` entered on `stack`, again on another port should another process take the first."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        try:
            return stack.enter_context(start(free_port()))
        except PortTaken:
            if attempt == PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


@contextmanager
def notifier(amqp_url: str, keys_file: Path, workdir: Path, ready_path: str = "/readyz",
             state_db: Path | None = None, env: Mapping[str, str] | None = None,
             args: Sequence[str] = ()) -> Iterator[Service]:
    """A notifier with a state file of its own, or `state_db` to share one with another (or an earlier) notifier;
    `env` adds to its environment, `args` to its command line."""

    def start(port: int) -> AbstractContextManager[Service]:
        environment = {"HERALD_AMQP_URL": amqp_url, "HERALD_API_KEYS_FILE": str(keys_file),
                       "HERALD_STATE_DB": str(state_db or workdir / f"notifier-{port}.sqlite3"), **(env or {})}
        command = [sys.executable, "-m", "herald.notifier", "--host", "127.0.0.1", "--port", str(port), *args]
        return running(f"notifier-{port}", command, environment | {"PYTHONPATH": str(ROOT)}, workdir, ready_path,
                       port)

    with ExitStack() as stack:
        yield on_a_free_port(stack, start)


async def notifier_linked(notifier: Service, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Wait until the notifier's `/readyz` says it is connected to its broker (again)."""

    async def ready() -> bool:
        async with httpx.AsyncClient(base_url=notifier.url) as http:
            return (await http.get("/readyz")).status_code == 200

    await eventually(ready, timeout=timeout, what=f"{notifier.name} to reach its broker")


async def chat_linked(chat: Service, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Wait until the chat's `/herald/readyz` says its delivery is live (again): its broker link is up and
    its queues taken up."""

    async def ready() -> bool:
        async with httpx.AsyncClient(base_url=chat.url) as http:
            return (await http.get("/herald/readyz")).status_code == 200

    await eventually(ready, timeout=timeout, what=f"{chat.name}'s delivery to be live")


@contextmanager
def chat(amqp_url: str, users_file: Path, workdir: Path, name: str = "chat", *, chainlit_run: bool = False,
         env: Mapping[str, str] | None = None, ready_path: str = "/herald/readyz",
         app: Path | None = None) -> Iterator[Service]:
    """Herald's chat as it is shipped (`python -m herald.chat`), or under `chainlit run`; `env` adds to
    (or overrides) its environment; `app` is another Chainlit app than the demo's. It serves without its
    broker; by default this returns once delivery is live too (its broker link up, its queues declared),
    or with `ready_path="/auth/config"` once it serves."""
    # Without thread history unless a test asks for it (HERALD_DATA_LAYER_URL): the routing tests and their
    # model hold what happens to thread events without a data layer; history has tests of its own.
    env = {"HERALD_AMQP_URL": amqp_url, "HERALD_USERS_FILE": str(users_file), "HERALD_DATA_LAYER_URL": "",
           "CHAINLIT_AUTH_SECRET": AUTH_SECRET, "PYTHONPATH": str(ROOT), **(env or {})}
    if "HERALD_SESSION_TIMEOUT_SECONDS" in env:
        # The tests' chats with a session timeout of their own share one broker with the others, but
        # never a user: each timeout is a deployment of its own (shared/agreed_settings.py).
        env.setdefault("HERALD_DEPLOYMENT", f"timeout-{env['HERALD_SESSION_TIMEOUT_SECONDS']}")
    chat_dir = workdir / name
    chat_dir.mkdir(exist_ok=True)
    # Chainlit reads its UI config and translations from the working directory: the demo's own (its
    # name, no LLM disclaimer), as `./herald up` runs it from the checkout.
    shutil.copytree(ROOT / ".chainlit", chat_dir / ".chainlit", dirs_exist_ok=True)

    def start(port: int) -> AbstractContextManager[Service]:
        app_path = str(app or DEFAULT_APP)
        command = [sys.executable, "-m", "herald.chat", app_path, "--host", "127.0.0.1", "--port", str(port)]
        if chainlit_run:
            command[1:4] = ["-m", "chainlit", "run", app_path, "--headless"]
        return running(name, command, env, chat_dir, ready_path, port)

    with ExitStack() as stack:
        yield on_a_free_port(stack, start)


@contextmanager
def chat_replicas(amqp_url: str, users_file: Path, workdir: Path, prefix: str,
                  session_timeout_seconds: int) -> Iterator[tuple[Service, Service]]:
    """Two chat replicas on one broker, with header login (any user id logs in) and a session timeout."""
    settings = {"HERALD_AUTH_MODE": "header", "HERALD_SESSION_TIMEOUT_SECONDS": str(session_timeout_seconds)}
    with chat(amqp_url, users_file, workdir, name=f"{prefix}-a", env=settings) as first, \
            chat(amqp_url, users_file, workdir, name=f"{prefix}-b", env=settings) as second:
        yield first, second
