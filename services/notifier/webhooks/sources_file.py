"""The sources file as the route sees it: read at startup, and again whenever it changes on disk.

Each lookup compares the file's stat (a few microseconds) with the one last loaded, so adding a
source or rotating a secret takes effect on the next delivery, in every worker, with no signal to
send. A change that does not load (a typo, a half-written file) keeps the previous sources serving and
is logged once; a broken file at startup stops the start instead, like a broken keys file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from services.notifier.webhooks.errors import SourceConfigError
from services.notifier.webhooks.sources import SourceConfig, enabled_source, load_sources

log = logging.getLogger("herald.notifier.webhooks")

# What tells a changed file apart: an edit changes mtime or size, a replacement (editors, atomic
# renames, Kubernetes ConfigMap symlink swaps) also changes the inode.
_Stamp = tuple[int, int, int, int]


class SourcesFile:
    def __init__(self, path: Path | None, sources: dict[str, SourceConfig], stamp: _Stamp | None) -> None:
        self._path = path
        self._sources = sources
        self._stamp = stamp

    @classmethod
    def open(cls, path: Path | None) -> SourcesFile:
        """Load the file, raising `SourceConfigError`; without a path there are no sources."""
        if path is None:
            return cls(None, {}, None)
        stamp = _stamp(path)
        return cls(path, load_sources(path), stamp)

    def enabled(self, name: str) -> SourceConfig | None:
        """The enabled source called `name`, from the file as it is now; None when unknown or disabled."""
        self._reload_if_changed()
        return enabled_source(self._sources, name)

    def _reload_if_changed(self) -> None:
        if self._path is None:
            return
        try:
            stamp = _stamp(self._path)
        except SourceConfigError as exc:
            if self._stamp is not None:  # report a vanished file once, not on every request
                log.error("%s; still serving the sources loaded before", exc)
                self._stamp = None
            return
        if stamp == self._stamp:
            return
        # Taken before loading, so a file that does not load is reported once, not on every request.
        self._stamp = stamp
        try:
            # Synchronous on purpose: a small file, read once per change, and no other coroutine
            # can run between the read and the swap.
            sources = load_sources(self._path)
        except SourceConfigError as exc:
            log.error("%s; still serving the sources loaded before", exc)
            return
        self._sources = sources
        log.info("reloaded webhook sources from %s: %d source(s)", self._path, len(sources))


def _stamp(path: Path) -> _Stamp:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SourceConfigError(f"cannot read webhook sources from {path}: {exc.strerror}") from None
    return st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev
