"""`./herald up` where a Docker engine runs: demo credentials on the host, then `docker compose up`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.demo_credentials import make_demo_credentials, welcome

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    credentials = make_demo_credentials(ROOT / "var" / "demo")
    env = {**os.environ, "CHAINLIT_AUTH_SECRET": credentials.auth_secret}
    print(welcome(credentials, "http://127.0.0.1:8001", "http://127.0.0.1:8000"))
    print("  RabbitMQ management: http://127.0.0.1:15672 (guest/guest)\n", flush=True)
    sys.exit(subprocess.call(["docker", "compose", "up", "--build", *sys.argv[1:]], cwd=ROOT, env=env))


if __name__ == "__main__":
    main()
