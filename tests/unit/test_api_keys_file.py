"""The keys file is read again when it changes: a removed key is refused at once, a broken file is not taken."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from herald.notifier.api_keys import PUBLISH_EVENTS, ApiKeyError, config_entry, new_key
from herald.notifier.api_keys_file import RACY_SECONDS, ApiKeysFile

pytestmark = pytest.mark.unit


def write(path: Path, text: str) -> None:
    # Replaced the way editors and config management do: a new file renamed over the old one.
    scratch = path.with_suffix(".new")
    scratch.write_text(text)
    scratch.replace(path)


def test_a_key_removed_from_the_file_is_refused_on_the_next_lookup(tmp_path: Path) -> None:
    path, ci, ops = tmp_path / "keys.toml", new_key(), new_key()
    path.write_text(config_entry("ci", ci, [PUBLISH_EVENTS]) + config_entry("ops", ops, [PUBLISH_EVENTS]))
    keys = ApiKeysFile(path)
    assert keys.authenticate(ci) is not None
    write(path, config_entry("ops", ops, [PUBLISH_EVENTS]))
    assert keys.authenticate(ci) is None
    assert keys.authenticate(ops) is not None


def test_a_key_added_to_the_file_is_accepted_without_a_restart(tmp_path: Path) -> None:
    path, ci, new = tmp_path / "keys.toml", new_key(), new_key()
    path.write_text(config_entry("ci", ci, [PUBLISH_EVENTS]))
    keys = ApiKeysFile(path)
    assert keys.authenticate(new) is None
    with path.open("a") as keys_file:  # appended in place, as `--append-to` does
        keys_file.write(config_entry("new", new, [PUBLISH_EVENTS]))
    found = keys.authenticate(new)
    assert found is not None and found.name == "new"


def test_a_same_size_rewrite_within_one_clock_tick_is_still_seen(tmp_path: Path) -> None:
    path, first, second = tmp_path / "keys.toml", new_key(), new_key()
    path.write_text(config_entry("ci", first, [PUBLISH_EVENTS]))
    stat = os.stat(path)
    keys = ApiKeysFile(path)
    assert keys.authenticate(first) is not None
    # The key rotated in place: same size, and (as happens within one kernel tick) the same mtime.
    path.write_text(config_entry("ci", second, [PUBLISH_EVENTS]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size
    assert keys.authenticate(first) is None
    assert keys.authenticate(second) is not None


def test_an_old_unchanged_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, ci = tmp_path / "keys.toml", new_key()
    path.write_text(config_entry("ci", ci, [PUBLISH_EVENTS]))
    old = os.stat(path).st_mtime_ns - int((RACY_SECONDS + 1) * 1e9)
    os.utime(path, ns=(old, old))
    keys = ApiKeysFile(path)
    reads: list[Path] = []
    original = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    for _ in range(3):
        assert keys.authenticate(ci) is not None
    assert reads == []  # a stat per lookup, no read


@pytest.mark.parametrize("broken", ["keys = [", '[[keys]]\nname = "a:b"\nsha256 = "' + "0" * 64 + '"\nscopes = []\n'])
def test_a_broken_file_at_runtime_keeps_the_previous_keys_and_says_so_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, broken: str) -> None:
    path, ci = tmp_path / "keys.toml", new_key()
    path.write_text(config_entry("ci", ci, [PUBLISH_EVENTS]))
    keys = ApiKeysFile(path)
    write(path, broken)
    with caplog.at_level(logging.ERROR, logger="herald.notifier.api_keys"):
        assert keys.authenticate(ci) is not None
        assert keys.authenticate(ci) is not None
    [record] = caplog.records
    assert "is invalid" in record.getMessage() and "still using the keys loaded before" in record.getMessage()


def test_a_vanished_file_keeps_the_previous_keys(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, ci = tmp_path / "keys.toml", new_key()
    path.write_text(config_entry("ci", ci, [PUBLISH_EVENTS]))
    keys = ApiKeysFile(path)
    path.unlink()
    with caplog.at_level(logging.ERROR, logger="herald.notifier.api_keys"):
        assert keys.authenticate(ci) is not None
    assert "still using the keys loaded before" in caplog.text


def test_a_broken_file_at_startup_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text("keys = [")
    with pytest.raises(ApiKeyError, match="is invalid"):
        ApiKeysFile(path)
    with pytest.raises(ApiKeyError, match=r"does not exist; make a key"):
        ApiKeysFile(tmp_path / "nope.toml")


def test_a_key_pasted_where_its_hash_belongs_is_not_repeated_in_the_error(tmp_path: Path) -> None:
    path, key = tmp_path / "keys.toml", new_key()
    path.write_text(f'[[keys]]\nname = "ci"\nsha256 = "{key}"\nscopes = []\n')
    with pytest.raises(ApiKeyError) as refused:
        ApiKeysFile(path)
    assert "sha256" in str(refused.value) and key not in str(refused.value)
