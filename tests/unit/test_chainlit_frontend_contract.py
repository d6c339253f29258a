"""What Herald's notifications rely on in the installed Chainlit frontend (its built bundle), checked
without a browser, so that a Chainlit upgrade that changes one fails here, naming it:
- the message avatar draws `metadata.icon` as a Lucide icon, and the severity icons are in its set
  (notification_view.SEVERITY_ICON);
- the socket events chainlit_tabs.py emits besides `new_message` are ones the frontend listens to;
- an action click is `POST /project/action` with the action and the session id (chainlit_tabs.watch_acks);
- the footer is the translation `chat.watermark` (scripts/ui_translations.py)."""

from __future__ import annotations

import re
from pathlib import Path

import chainlit
import pytest

from herald.chat.notification_view import SEVERITY_ICON

pytestmark = pytest.mark.unit

BUNDLE = "\n".join(path.read_text(encoding="utf-8", errors="replace")
                   for path in (Path(chainlit.__file__).parent / "frontend" / "dist" / "assets").glob("index-*.js"))


def test_the_avatar_draws_metadata_icon_and_every_severity_icon_exists() -> None:
    assert re.search(r"iconName:\(\w+=\w+\.metadata\)==null\?void 0:\w+\.icon", BUNDLE)
    for icon in SEVERITY_ICON.values():
        pascal = "".join(part.capitalize() for part in icon.split("-"))  # as the frontend looks it up
        assert re.search(rf"[,{{]{pascal}:", BUNDLE), icon


@pytest.mark.parametrize("event", ["new_message", "update_message", "element", "action", "remove_action", "toast"])
def test_the_frontend_listens_to_what_herald_emits(event: str) -> None:
    assert f'.on("{event}",' in BUNDLE


def test_an_action_click_posts_the_action_and_the_session() -> None:
    click = r'callAction\(\w+,\w+\)\{return\(await this\.post\("/project/action",\{sessionId:\w+,action:\w+\}\)'
    assert re.search(click, BUNDLE)


def test_the_footer_is_the_watermark_translation() -> None:
    assert 'className:"watermark"' in BUNDLE and 't("chat.watermark")' in BUNDLE
