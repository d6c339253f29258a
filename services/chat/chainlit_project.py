"""The demo app's Chainlit project files (.chainlit/config.toml), carried in the package.

Chainlit reads its settings from `.chainlit/` in its app root (CHAINLIT_APP_ROOT, else the working
directory) when first imported, and writes its own defaults there when they are missing. From a
checkout, the repository's .chainlit/ holds Herald's. A wheel serves from anywhere, so
`python -m herald.chat` puts the package's copies in first, before Chainlit is imported, for the
files that are missing: the demo then looks the same wherever it runs. Files already there are the
operator's, never overwritten. Herald's delivery itself needs none of them (it escapes HTML itself,
and its session timeout has Chainlit's default unless set): an app that embeds Herald keeps its own.

dot_chainlit/ holds links to the repository's .chainlit/ files (the build copies their contents into
the wheel), so there is one copy to edit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SHIPPED = Path(__file__).with_name("dot_chainlit")


def app_root() -> Path:
    # Chainlit's own rule (chainlit/config.py, APP_ROOT), read here before Chainlit can be imported.
    return Path(os.environ.get("CHAINLIT_APP_ROOT", os.getcwd()))


def provide_missing(root: Path) -> list[Path]:
    """Copy each shipped file that `root`/.chainlit lacks; returns those written."""
    written = []
    for source in sorted(SHIPPED.rglob("*")):
        target = root / ".chainlit" / source.relative_to(SHIPPED)
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    return written
