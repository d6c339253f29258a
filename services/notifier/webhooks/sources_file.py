"""The sources file as the route sees it: read at startup, and again whenever it changes on disk
(watched_file.py, as the keys file), so adding a source or rotating a secret takes effect on the next
delivery, in every worker, with no signal to send."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from herald.notifier.watched_file import WatchedFile
from herald.notifier.webhooks.errors import SourceConfigError
from herald.notifier.webhooks.sources import SourceConfig, enabled_source, sources_from

log = logging.getLogger("herald.notifier.webhooks")


class SourcesFile:
    def __init__(self, file: WatchedFile[dict[str, SourceConfig]] | None) -> None:
        self._file = file

    @classmethod
    def open(cls, path: Path | None) -> SourcesFile:
        """Load the file, raising `SourceConfigError`; without a path there are no sources."""
        if path is None:
            return cls(None)
        return cls(WatchedFile(path, partial(sources_from, path=path), SourceConfigError, "webhook sources",
                               "sources", log))

    def enabled(self, name: str) -> SourceConfig | None:
        """The enabled source called `name`, from the file as it is now; None when unknown or disabled."""
        if self._file is None:
            return None
        return enabled_source(self._file.current(), name)
