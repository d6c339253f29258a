"""`./herald up` without Docker: a local RabbitMQ node, the notifier and the chat, until Ctrl-C.

The node's data lives in var/rabbitmq, so events kept for offline users survive a restart, and the
chat's thread history in var/herald-history.sqlite3 (HERALD_DATA_LAYER_URL names another database). With
HERALD_AMQP_URL set, that broker is used instead and no node is started. The services do not wait for
their broker, and neither does this: they are up when they serve, and notifications flow once the
broker is there (say, a broker that is started later), without restarting anything.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from herald.contract.logs import mask_url_passwords
from scripts.demo_credentials import DEMO_IMAGE_HOST, make_demo_credentials, welcome
from scripts.rabbitmq_node import BrokerUnavailable, RabbitMQNode, free_port, start_node

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("HERALD_VAR_DIR") or ROOT / "var")  # elsewhere for a test run


def wait_http(url: str, process: subprocess.Popen[bytes], name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"herald: the {name} exited with {process.returncode}; see {VAR / name}.log")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling a port: there is no event to wait on
    sys.exit(f"herald: the {name} did not come up in {timeout:.0f} s; see {VAR / name}.log")


def broker_linked(notifier_url: str) -> bool:
    try:
        return httpx.get(f"{notifier_url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def spawn(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (VAR / f"{name}.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def supervise(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Return when Ctrl-C or SIGTERM arrives; exit if a service dies on its own."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"herald: the {name} exited with {process.returncode}; see {VAR / name}.log")
        time.sleep(0.5)  # a supervisor's heartbeat; there is no portable wait on several children


def main() -> None:
    parser = argparse.ArgumentParser(description="Run RabbitMQ, the notifier and the chat on this machine.")
    parser.add_argument("--host", default="127.0.0.1", help="where the notifier and chat listen")
    parser.add_argument("--notifier-port", type=int, default=int(os.environ.get("HERALD_NOTIFIER_PORT", 8000)))
    parser.add_argument("--chat-port", type=int, default=int(os.environ.get("HERALD_CHAT_PORT", 8001)))
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    credentials = make_demo_credentials(VAR / "demo")
    node: RabbitMQNode | None = None
    if amqp_url := os.environ.get("HERALD_AMQP_URL"):
        print(f"herald: using the broker at {mask_url_passwords(amqp_url)} (HERALD_AMQP_URL)", flush=True)
    else:
        print(f"herald: starting RabbitMQ (data in {VAR / 'rabbitmq'}) ...", flush=True)
        try:
            node = start_node(VAR / "rabbitmq", amqp_port=free_port(), management_port=free_port(),
                              name="herald@localhost")
        except BrokerUnavailable as exc:
            sys.exit(f"herald: {exc}")
        amqp_url = node.url
    env = {
        "HERALD_AMQP_URL": amqp_url,
        "HERALD_API_KEYS_FILE": str(credentials.keys_file),
        "HERALD_USERS_FILE": str(credentials.users_file),
        "HERALD_STATE_DB": str(VAR / "notifier.sqlite3"),
        "CHAINLIT_AUTH_SECRET": credentials.auth_secret,
        # Thread history beside the rest of the demo's state; HERALD_DATA_LAYER_URL names another database.
        "HERALD_DATA_LAYER_URL": os.environ.get("HERALD_DATA_LAYER_URL",
                                                f"sqlite+aiosqlite:///{VAR.resolve() / 'herald-history.sqlite3'}"),
        # The demo event's image shows (an operator's own HERALD_IMAGE_HOSTS wins).
        "HERALD_IMAGE_HOSTS": os.environ.get("HERALD_IMAGE_HOSTS", DEMO_IMAGE_HOST),
    }
    notifier = spawn("notifier", [sys.executable, "-m", "herald.notifier", "--host", args.host,
                                  "--port", str(args.notifier_port)], env)
    chat = spawn("chat", [sys.executable, "-m", "herald.chat", "--host", args.host, "--port", str(args.chat_port)],
                 env)
    try:
        notifier_url, chat_url = f"http://{args.host}:{args.notifier_port}", f"http://{args.host}:{args.chat_port}"
        # Up means serving: neither waits for the broker, so neither does this.
        wait_http(f"{notifier_url}/healthz", notifier, "notifier")
        wait_http(f"{chat_url}/auth/config", chat, "chat")
        if node is not None:  # a node of our own is up already: the link follows in a moment
            wait_http(f"{notifier_url}/readyz", notifier, "notifier")
        print(welcome(credentials, chat_url, notifier_url))
        if node is not None:
            print(f"  RabbitMQ management: http://127.0.0.1:{node.management_port} (guest/guest)")
        if not broker_linked(notifier_url):
            print("  The broker does not answer yet: the chat serves, and notifications flow once it does\n"
                  f"  (the notifier answers 503 until then; see {notifier_url}/readyz and {chat_url}/herald/healthz).")
        print(f"  Thread history: {mask_url_passwords(env['HERALD_DATA_LAYER_URL']) or 'off'}")
        print(f"  Logs: {VAR / 'notifier.log'}, {VAR / 'chat.log'}. Press Ctrl-C to stop.", flush=True)
        supervise({"notifier": notifier, "chat": chat})
    except KeyboardInterrupt:
        pass
    finally:
        print("\nherald: stopping ...", flush=True)
        for process in (chat, notifier):
            process.terminate()
        for process in (chat, notifier):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if node is not None:
            node.stop()


if __name__ == "__main__":
    main()
