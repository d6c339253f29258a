"""The path prefix a reverse proxy serves a service under (`--root-path`, docs/deploy.md)."""

from __future__ import annotations

import argparse


def parse_root_path(value: str) -> str:
    """"/chat" from "/chat/" too, and "" for "/": Chainlit and uvicorn join it with paths that start
    with a slash. An argparse type: a prefix without its leading slash is refused before anything starts."""
    path = value.rstrip("/")
    if path and not path.startswith("/"):
        raise argparse.ArgumentTypeError(f"a root path starts with /, not {value!r}")
    return path
