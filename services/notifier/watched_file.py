"""A small configuration file the notifier reads at startup and again whenever it changes on disk: the
API keys and the webhook sources. One way for both, so that both reload alike.

Each lookup compares the file's stat (a few microseconds) with the one last loaded, so a change takes
effect on the next request, in every worker, with no restart or signal. What tells a changed file apart:
an edit changes mtime or size, a replacement (editors, atomic renames, Kubernetes ConfigMap symlink
swaps) also changes the inode. A stat alone can still miss a rewrite: the kernel stamps mtime from a
clock that ticks every few milliseconds, so two writes of the same size within one tick look alike (git
calls this "racy"). While the loaded file is younger than `RACY_SECONDS`, each lookup therefore also
compares its bytes.

A change that does not load (a typo, a half-written file, the file gone) keeps the previous value and is
logged once; at startup the same problem raises instead, which stops the start.

Hand-written rather than a file-watching library (watchfiles, watchdog): those run a thread or a task
and signal changes; a stat per request needs neither, and holds in every worker process as it is.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
RACY_SECONDS = 2.0
_Stamp = tuple[int, int, int, int]


class WatchedFile(Generic[T]):
    def __init__(self, path: Path, parse: Callable[[bytes], T], error: type[Exception], what: str, holds: str,
                 log: logging.Logger, clock: Callable[[], float] = time.time) -> None:
        """Read and parse the file; `parse` raises `error` for content that does not load, and so does this
        for a file that cannot be read. `what` names the file in messages ("API keys file"), `holds` what
        it holds ("keys")."""
        self._path, self._parse, self._error, self._log, self._clock = path, parse, error, log, clock
        self._what, self._holds = what, holds
        # The stamp before the bytes: a change in between then shows as a changed stamp next time.
        self._stamp = self._stat()
        self._bytes = self._read()
        self._value = parse(self._bytes)
        self._reported: str | None = None

    def current(self) -> T:
        """The file's value as it is now, or as last loaded when it does not load now."""
        try:
            self._reload_if_changed()
        except self._error as exc:
            self._keep_previous(str(exc))
        return self._value

    def _reload_if_changed(self) -> None:
        stamp = self._stat()
        racy = self._clock() - stamp[0] / 1e9 < RACY_SECONDS
        if stamp == self._stamp and not racy:
            return
        # Synchronous on purpose: a small file, read only while it is new or changed, and no other
        # coroutine can run between the read and the swap.
        content = self._read()
        self._stamp = stamp
        if content == self._bytes:
            self._reported = None
            return
        self._bytes = content  # taken before parsing: a file that does not load is reported once
        self._value = self._parse(content)
        self._reported = None
        self._log.info("reloaded %s %s", self._what, self._path)

    def _keep_previous(self, problem: str) -> None:
        if problem != self._reported:  # once per problem, not on every request
            self._log.error("%s; still using the %s loaded before", problem, self._holds)
            self._reported = problem

    def _stat(self) -> _Stamp:
        try:
            st = os.stat(self._path)
        except OSError as exc:
            raise self._unreadable(exc) from None
        return st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev

    def _read(self) -> bytes:
        try:
            return self._path.read_bytes()
        except OSError as exc:
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: OSError) -> Exception:
        return self._error(f"cannot read {self._what} {self._path}: {exc.strerror}")
