"""`python -m herald.notifier --host H --port P [--workers N]` runs the notifier under uvicorn."""

from __future__ import annotations

import argparse
import sys

from herald.contract.root_path import parse_root_path
from herald.notifier.api_keys import ApiKeyError
from herald.notifier.app import create_app
from herald.notifier.server import serve
from herald.notifier.webhooks import SourceConfigError


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Herald notifier.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes; they share the state file, each has its own broker connection")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--root-path", type=parse_root_path, default="",
                        help="the prefix a reverse proxy strips before forwarding, e.g. /notify (docs/deploy.md)")
    args = parser.parse_args()
    try:
        create_app()  # each worker builds its own; this one only checks the files, to fail with a clear message
    except (ApiKeyError, SourceConfigError) as exc:
        sys.exit(f"herald notifier: {exc}")
    serve("herald.notifier.app:create_app", args.host, args.port, args.workers, args.log_level,
          args.root_path)


if __name__ == "__main__":
    main()
