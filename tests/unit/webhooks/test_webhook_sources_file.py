"""The sources file is re-read when it changes; a change that does not load keeps the last good sources."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from herald.notifier.webhooks import SourceConfigError, SourcesFile

pytestmark = pytest.mark.unit

GITHUB = '[sources.github]\nverification = { scheme = "github", secrets = ["s3cret-a"] }\n'
DEPLOYS = '[sources.deploys]\nverification = { scheme = "token", header = "X-Token", secrets = ["t0ken"] }\n'


def write(path: Path, text: str) -> None:
    """Write as an editor would, and move the mtime on, so a same-second rewrite counts as a change."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_without_a_file_every_source_is_unknown() -> None:
    assert SourcesFile.open(None).enabled("github") is None


def test_a_broken_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[sources.github]\nverification = { scheme = \"github\" }\n")
    with pytest.raises(SourceConfigError, match="github"):
        SourcesFile.open(path)
    with pytest.raises(SourceConfigError, match="cannot read"):
        SourcesFile.open(tmp_path / "missing.toml")


def test_an_added_or_disabled_source_takes_effect_on_the_next_lookup(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    write(path, GITHUB)
    sources = SourcesFile.open(path)
    assert sources.enabled("github") is not None and sources.enabled("deploys") is None
    write(path, GITHUB + DEPLOYS)
    assert sources.enabled("deploys") is not None
    write(path, GITHUB.replace("[sources.github]\n", "[sources.github]\nenabled = false\n") + DEPLOYS)
    assert sources.enabled("github") is None


def test_a_rotated_secret_is_used_after_the_change(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    write(path, GITHUB)
    sources = SourcesFile.open(path)
    write(path, GITHUB.replace('["s3cret-a"]', '["s3cret-b", "s3cret-a"]'))
    source = sources.enabled("github")
    assert source is not None and len(source.verification.secrets) == 2


def test_a_change_that_does_not_load_keeps_the_last_good_sources_and_is_logged_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "sources.toml"
    write(path, GITHUB)
    sources = SourcesFile.open(path)
    write(path, GITHUB + "[sources.half")
    with caplog.at_level(logging.ERROR, logger="herald.notifier.webhooks"):
        assert sources.enabled("github") is not None
        assert sources.enabled("github") is not None
    assert len(caplog.records) == 1 and "still using the sources loaded before" in caplog.records[0].getMessage()
    assert "s3cret" not in caplog.text
    write(path, DEPLOYS)
    assert sources.enabled("github") is None and sources.enabled("deploys") is not None


def test_a_vanished_file_keeps_the_last_good_sources(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    write(path, GITHUB)
    sources = SourcesFile.open(path)
    path.unlink()
    assert sources.enabled("github") is not None
    write(path, DEPLOYS)
    assert sources.enabled("deploys") is not None and sources.enabled("github") is None
