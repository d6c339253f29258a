"""The demo chat's UI as Chainlit reads it: called Herald, no "LLMs can make mistakes" footer in any
language Chainlit ships, and no raw HTML in messages."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chainlit.config import FeaturesSettings, UISettings

from herald.contract.events import EventRequest
from scripts.demo_credentials import DEMO_IMAGE_HOST, make_demo_credentials, welcome
from scripts.ui_translations import HERALD_TRANSLATIONS, ROOT, expected

pytestmark = pytest.mark.unit

CONFIG = tomllib.loads((ROOT / ".chainlit" / "config.toml").read_text())


def test_html_in_messages_stays_off() -> None:
    # Herald's markdown is made inert (inert_markdown.py); with this on, Chainlit would render raw HTML
    # in every other message of the app.
    assert CONFIG["features"]["unsafe_allow_html"] is False
    assert FeaturesSettings(**CONFIG["features"]).unsafe_allow_html is False
    # At runtime, as the chat serves it to the frontend: tests/e2e/test_browser_rich_notifications.py.


def test_the_ui_is_called_herald() -> None:
    ui = UISettings(**CONFIG["UI"])
    assert ui.name == "Herald" and ui.description is not None and "Herald" in ui.description


def test_every_language_chainlit_ships_has_a_herald_translation_without_the_disclaimer() -> None:
    shipped = {path.name: path.read_text(encoding="utf-8") for path in HERALD_TRANSLATIONS.glob("*.json")}
    # Equal to Chainlit's but for the footer; after a Chainlit upgrade: python -m scripts.ui_translations
    assert shipped == expected()
    for name, text in shipped.items():
        assert json.loads(text)["chat"]["watermark"] == "", name
        assert "LLM" not in text, name



def test_the_demo_curl_sends_a_valid_rich_event_whose_image_the_demo_shows(tmp_path: Path) -> None:
    credentials = make_demo_credentials(tmp_path)
    printed = welcome(credentials, "http://127.0.0.1:8001", "http://127.0.0.1:8000")
    body = re.search(r"-d '(.*)'", printed)
    assert body is not None
    event = EventRequest.model_validate_json(body.group(1))
    assert event.url and event.image and event.actions and len(event.actions) == 2
    assert urlsplit(event.image).hostname == DEMO_IMAGE_HOST  # in ./herald up's HERALD_IMAGE_HOSTS
