"""Herald's copies of Chainlit's translations, without the "LLMs can make mistakes" footer.

Chainlit 2.12 shows `chat.watermark` from the translation of the user's language under the composer,
always (it has no setting to hide it), and on start it copies every translation it ships into
`.chainlit/translations/` unless a file of that name is there. So Herald ships one file per language
Chainlit ships, the same but with an empty watermark. After upgrading Chainlit, run
`python -m scripts.ui_translations` (tests/unit/test_ui_config.py says when it is due).
"""

from __future__ import annotations

import json
from pathlib import Path

from chainlit.config import TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[1]
HERALD_TRANSLATIONS = ROOT / ".chainlit" / "translations"


def herald_translation(chainlit_file: Path) -> str:
    translation = json.loads(chainlit_file.read_text(encoding="utf-8"))
    translation["chat"]["watermark"] = ""
    return json.dumps(translation, indent=4, ensure_ascii=False) + "\n"


def expected() -> dict[str, str]:
    return {path.name: herald_translation(path) for path in sorted(Path(TRANSLATIONS_DIR).glob("*.json"))}


def main() -> None:
    HERALD_TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    for name, text in expected().items():
        (HERALD_TRANSLATIONS / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
