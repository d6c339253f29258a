"""API keys: stored only as SHA-256 hashes, each with a name and scopes.

`python -m services.notifier.api_keys --name ci --scope events:publish` makes a new key and prints the
key (shown once) and the entry to paste into the keys file.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

KEY_PREFIX = "hk_"
PUBLISH_EVENTS = "events:publish"
WRITE_GROUPS = "groups:write"
READ_GROUPS = "groups:read"
KNOWN_SCOPES = frozenset({PUBLISH_EVENTS, WRITE_GROUPS, READ_GROUPS})

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
    sha256: Sha256Hex
    scopes: frozenset[str]

    def __repr__(self) -> str:  # the hash is not a secret, but keep logs short
        return f"ApiKey(name={self.name!r}, scopes={sorted(self.scopes)!r})"


class KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keys: list[ApiKey]


class ApiKeyError(ValueError):
    """The keys file cannot be used; the message names the file and the problem."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyring:
    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = keys

    @classmethod
    def load(cls, path: Path) -> ApiKeyring:
        try:
            parsed = KeysFile.model_validate(tomllib.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise ApiKeyError(f"API keys file {path} does not exist; make a key with "
                              "`python -m services.notifier.api_keys --name NAME`") from exc
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise ApiKeyError(f"API keys file {path} is invalid: {exc}") from exc
        unknown = {scope for key in parsed.keys for scope in key.scopes} - KNOWN_SCOPES
        if unknown:
            raise ApiKeyError(f"API keys file {path} names unknown scopes {sorted(unknown)}")
        return cls(parsed.keys)

    def authenticate(self, presented: str) -> ApiKey | None:
        """Return the key whose hash matches, comparing with every stored hash in constant time."""
        digest = hash_key(presented)
        found: ApiKey | None = None
        for key in self._keys:
            if hmac.compare_digest(digest, key.sha256):
                found = key
        return found


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def config_entry(name: str, key: str, scopes: list[str]) -> str:
    scope_list = ", ".join(f'"{scope}"' for scope in scopes)
    return f'[[keys]]\nname = "{name}"\nsha256 = "{hash_key(key)}"\nscopes = [{scope_list}]\n'


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Make a new Herald API key.")
    parser.add_argument("--name", required=True, help="shown as the source of the events it publishes")
    parser.add_argument("--scope", action="append", choices=sorted(KNOWN_SCOPES), dest="scopes",
                        help=f"repeatable; default {PUBLISH_EVENTS}")
    parser.add_argument("--append-to", type=Path, help="also append the entry to this keys file")
    args = parser.parse_args(argv)
    ApiKey(name=args.name, sha256="0" * 64, scopes=frozenset())  # validates the name early
    key = new_key()
    entry = config_entry(args.name, key, args.scopes or [PUBLISH_EVENTS])
    if args.append_to:
        args.append_to.parent.mkdir(parents=True, exist_ok=True)
        with args.append_to.open("a") as keys_file:
            keys_file.write(entry + "\n")
    print(f"API key (shown once): {key}\n\n{entry}")


if __name__ == "__main__":
    main()
