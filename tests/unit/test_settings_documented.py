"""Every setting a service reads is a row of the README's configuration table, and every row is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from herald.chat.config import ChatSettings
from herald.notifier.config import NotifierSettings

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_names_each_setting_once() -> None:
    rows = re.findall(r"^\| `(HERALD_[A-Z0-9_]+)` \|", README.read_text(), re.MULTILINE)
    read = {f"HERALD_{name.upper()}" for settings in (NotifierSettings, ChatSettings) for name in settings.model_fields}
    missing, stale = sorted(read - set(rows)), sorted(set(rows) - read)
    assert not missing, f"settings missing from the README's configuration table: {missing}"
    assert not stale, f"rows of the README's configuration table no service reads: {stale}"
    assert len(rows) == len(set(rows)), "a setting with two rows"
