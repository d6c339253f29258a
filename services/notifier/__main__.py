"""`python -m services.notifier --host H --port P` runs the notifier under uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from services.notifier.api_keys import ApiKeyError
from services.notifier.app import create_app
from services.notifier.webhooks import SourceConfigError


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Herald notifier.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
    except (ApiKeyError, SourceConfigError) as exc:
        sys.exit(f"herald notifier: {exc}")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
