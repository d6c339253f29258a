"""API keys and chat passwords are kept only as hashes, and checked in constant time."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald.chat.users import add_user, hash_password, load_users, verify_password
from herald.notifier.api_keys import ApiKeyError, ApiKeyring, config_entry, hash_key, new_key
from herald.notifier.rate_limits import UNLIMITED, RateLimit, RateLimitSetting

pytestmark = pytest.mark.unit


def test_a_generated_key_authenticates_through_its_config_entry(tmp_path: Path) -> None:
    key, other = new_key(), new_key()
    path = tmp_path / "keys.toml"
    path.write_text(config_entry("ci", key, ["events:publish"]) + config_entry("ops", other, ["groups:write"]))
    keyring = ApiKeyring.load(path)
    found = keyring.authenticate(key)
    assert found is not None and found.name == "ci" and found.scopes == {"events:publish"}
    assert keyring.authenticate(other).name == "ops"  # type: ignore[union-attr]
    assert keyring.authenticate(key + "x") is None
    assert key not in path.read_text() and hash_key(key) in path.read_text()


@pytest.mark.parametrize(("content", "complaint"), [
    ('[[keys]]\nname = "ci"\nsha256 = "abc"\nscopes = []\n', "sha256"),
    ('[[keys]]\nname = "ci"\nsha256 = "' + "0" * 64 + '"\nscopes = ["root"]\n', "unknown scopes"),
    ("keys = [", "invalid"),
])
def test_a_broken_keys_file_is_refused_with_a_reason(tmp_path: Path, content: str, complaint: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(content)
    with pytest.raises(ApiKeyError, match=complaint):
        ApiKeyring.load(path)


def test_a_missing_keys_file_says_how_to_make_a_key(tmp_path: Path) -> None:
    with pytest.raises(ApiKeyError, match=r"herald\.notifier\.api_keys"):
        ApiKeyring.load(tmp_path / "nope.toml")


def test_passwords_are_salted_scrypt_hashes(tmp_path: Path) -> None:
    assert hash_password("pw") != hash_password("pw")
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong", stored)
    assert not verify_password("x", "garbage")
    path = tmp_path / "users.toml"
    add_user(path, "alice", "pw1")
    add_user(path, "bob", "pw2")
    add_user(path, "alice", "pw3")  # a password change keeps the other users
    users = load_users(path).users
    assert set(users) == {"alice", "bob"} and verify_password("pw3", users["alice"].password_hash)
    assert "pw3" not in path.read_text()


def test_a_key_name_cannot_hold_a_colon(tmp_path: Path) -> None:
    # ":" separates a key's name from its events' ids, and webhook events' source is `webhook:<source>`.
    path = tmp_path / "keys.toml"
    path.write_text(config_entry("webhook:github", new_key(), ["events:publish"]))
    with pytest.raises(ApiKeyError, match="name"):
        ApiKeyring.load(path)


@pytest.mark.parametrize("rate_limit", [None, UNLIMITED, RateLimit(per_second=0.5, burst=20)])
def test_a_config_entry_carries_its_rate_limit(tmp_path: Path, rate_limit: RateLimitSetting) -> None:
    path, key = tmp_path / "keys.toml", new_key()
    path.write_text(config_entry("ci", key, ["events:publish"], rate_limit))
    found = ApiKeyring.load(path).authenticate(key)
    assert found is not None and found.rate_limit == rate_limit


def test_a_rate_limit_in_the_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(config_entry("ci", new_key(), ["events:publish"]) + "rate_limit = { per_second = 0, burst = 5 }\n")
    with pytest.raises(ApiKeyError, match="rate_limit"):
        ApiKeyring.load(path)
