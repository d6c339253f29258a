"""The keys file as the routes see it: read at startup, and again whenever it changes on disk.

Each authentication compares the file's stat (a few microseconds) with the one last loaded, as the
webhook sources file does, so a key removed from the file is refused on its next request, in every
worker, with no restart or signal. A change that does not load (a typo, a half-written file, the file
gone) keeps the previous keys and is logged once; a broken file at startup stops the start instead.

A stat alone can miss a rewrite: the kernel stamps mtime from a clock that ticks every few
milliseconds, so two writes of the same size within one tick look alike (git calls this "racy").
While the loaded file is younger than `RACY_SECONDS`, each lookup therefore also compares its bytes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from services.notifier.api_keys import ApiKey, ApiKeyError, ApiKeyring, read_keys_file

log = logging.getLogger("herald.notifier.api_keys")

RACY_SECONDS = 2.0
_Stamp = tuple[int, int, int, int]


class ApiKeysFile:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        """Load the file, raising `ApiKeyError` when it is missing or broken."""
        self._path = path
        self._clock = clock
        # The stamp before the bytes: a change in between then shows as a changed stamp next time.
        self._stamp = _stamp(path) if path.exists() else None
        self._bytes = read_keys_file(path)
        self._keyring = ApiKeyring.parse(self._bytes, path)
        self._reported: str | None = None

    def authenticate(self, presented: str) -> ApiKey | None:
        """The key `presented` is, in the file as it is now (or as last loaded, if it does not load now)."""
        self._reload_if_changed()
        return self._keyring.authenticate(presented)

    def _reload_if_changed(self) -> None:
        try:
            stamp = _stamp(self._path)
        except ApiKeyError as exc:
            self._keep_previous(str(exc))
            return
        racy = self._clock() - stamp[0] / 1e9 < RACY_SECONDS
        if stamp == self._stamp and not racy:
            return
        # Synchronous on purpose: a small file, read only while it is new or changed, and no other
        # coroutine can run between the read and the swap.
        try:
            content = self._path.read_bytes()
        except OSError as exc:
            self._keep_previous(f"cannot read API keys file {self._path}: {exc.strerror}")
            return
        self._stamp = stamp
        if content == self._bytes:
            self._reported = None
            return
        self._bytes = content
        try:
            keyring = ApiKeyring.parse(content, self._path)
        except ApiKeyError as exc:
            self._keep_previous(str(exc))
            return
        self._keyring = keyring
        self._reported = None
        log.info("reloaded API keys from %s: %d key(s)", self._path, len(keyring))

    def _keep_previous(self, problem: str) -> None:
        if problem != self._reported:  # once per problem, not on every request
            log.error("%s; still using the keys loaded before", problem)
            self._reported = problem


def _stamp(path: Path) -> _Stamp:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ApiKeyError(f"cannot read API keys file {path}: {exc.strerror}") from None
    return st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev
