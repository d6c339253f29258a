"""The keys file as the routes see it: read at startup, and again whenever it changes on disk
(watched_file.py), so a key removed from the file is refused on its next request, in every worker, with
no restart or signal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from herald.notifier.api_keys import ApiKey, ApiKeyError, ApiKeyring, read_keys_file
from herald.notifier.watched_file import RACY_SECONDS, WatchedFile

__all__ = ["RACY_SECONDS", "ApiKeysFile"]

log = logging.getLogger("herald.notifier.api_keys")


class ApiKeysFile:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        """Load the file, raising `ApiKeyError` when it is missing or broken."""
        read_keys_file(path)  # a missing file stops the start with how to make a key
        self._file = WatchedFile(path, partial(ApiKeyring.parse, path=path), ApiKeyError, "API keys file", "keys",
                                 log, clock)

    def authenticate(self, presented: str) -> ApiKey | None:
        """The key `presented` is, in the file as it is now (or as last loaded, if it does not load now)."""
        return self._file.current().authenticate(presented)
