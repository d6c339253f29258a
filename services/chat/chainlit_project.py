"""The demo app's Chainlit project files (.chainlit/config.toml and translations/), carried in the package.

Chainlit reads its settings from `.chainlit/` in its app root (CHAINLIT_APP_ROOT, else the working
directory) when first imported, and writes its own defaults there when they are missing. From a
checkout, the repository's .chainlit/ holds Herald's. A wheel serves from anywhere, so
`python -m herald.chat` puts the package's copies in first, before Chainlit is imported, for the
files that are missing: the demo then looks the same wherever it runs. Files already there are the
operator's, never overwritten. Herald's delivery itself needs none of them (it escapes HTML itself,
and its session timeout has Chainlit's default unless set): an app that embeds Herald keeps its own.

dot_chainlit/ holds links to the repository's .chainlit/ files and translations/ directory (the build
copies their contents into the wheel), so there is one copy to edit. The translations are Chainlit's
with an empty footer (scripts/ui_translations.py): Chainlit would write its own, with "LLMs can make
mistakes", where they are missing.
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
    # os.walk, not rglob: in a checkout translations/ is a link to a directory, which rglob does not enter.
    shipped = (Path(folder, name) for folder, _, names in os.walk(SHIPPED, followlinks=True) for name in names)
    for source in sorted(shipped):
        target = root / ".chainlit" / source.relative_to(SHIPPED)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    return written
