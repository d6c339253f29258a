"""`./herald up` without Docker: a local RabbitMQ node, the notifier and the chat, until Ctrl-C.

The node's data lives in var/rabbitmq, so events kept for offline users survive a restart.
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

from scripts.demo_credentials import make_demo_credentials, welcome
from scripts.rabbitmq_node import BrokerUnavailable, free_port, start_node

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"


def wait_http(url: str, process: subprocess.Popen[bytes], name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"herald: the {name} exited with {process.returncode}; see var/{name}.log")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling a port: there is no event to wait on
    sys.exit(f"herald: the {name} did not come up in {timeout:.0f} s; see var/{name}.log")


def spawn(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    with (VAR / f"{name}.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def supervise(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Return when Ctrl-C or SIGTERM arrives; exit if a service dies on its own."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"herald: the {name} exited with {process.returncode}; see var/{name}.log")
        time.sleep(0.5)  # a supervisor's heartbeat; there is no portable wait on several children


def main() -> None:
    parser = argparse.ArgumentParser(description="Run RabbitMQ, the notifier and the chat on this machine.")
    parser.add_argument("--host", default="127.0.0.1", help="where the notifier and chat listen")
    parser.add_argument("--notifier-port", type=int, default=int(os.environ.get("HERALD_NOTIFIER_PORT", 8000)))
    parser.add_argument("--chat-port", type=int, default=int(os.environ.get("HERALD_CHAT_PORT", 8001)))
    args = parser.parse_args()
    VAR.mkdir(exist_ok=True)
    credentials = make_demo_credentials(VAR / "demo")
    print("herald: starting RabbitMQ (data in var/rabbitmq) ...", flush=True)
    try:
        node = start_node(VAR / "rabbitmq", amqp_port=free_port(), management_port=free_port(),
                          name="herald@localhost")
    except BrokerUnavailable as exc:
        sys.exit(f"herald: {exc}")
    env = {
        "HERALD_AMQP_URL": node.url,
        "HERALD_API_KEYS_FILE": str(credentials.keys_file),
        "HERALD_USERS_FILE": str(credentials.users_file),
        "HERALD_STATE_DB": str(VAR / "notifier.sqlite3"),
        "CHAINLIT_AUTH_SECRET": credentials.auth_secret,
    }
    notifier = spawn("notifier", [sys.executable, "-m", "services.notifier", "--host", args.host,
                                  "--port", str(args.notifier_port)], env)
    chat = spawn("chat", [sys.executable, "-m", "services.chat", "--host", args.host, "--port", str(args.chat_port)],
                 env)
    try:
        notifier_url, chat_url = f"http://{args.host}:{args.notifier_port}", f"http://{args.host}:{args.chat_port}"
        wait_http(f"{notifier_url}/readyz", notifier, "notifier")
        wait_http(f"{chat_url}/auth/config", chat, "chat")
        print(welcome(credentials, chat_url, notifier_url))
        print(f"  RabbitMQ management: http://127.0.0.1:{node.management_port} (guest/guest)")
        print("  Logs: var/notifier.log, var/chat.log. Press Ctrl-C to stop.", flush=True)
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
        node.stop()


if __name__ == "__main__":
    main()
