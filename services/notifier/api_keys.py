"""API keys: stored only as SHA-256 hashes, each with a name, scopes and optionally a rate limit.

`python -m herald.notifier.api_keys --name ci --scope events:publish` makes a new key and prints the
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

from herald.notifier.rate_limits import UNLIMITED, RateLimit, RateLimitSetting

KEY_PREFIX = "hk_"
PUBLISH_EVENTS = "events:publish"
WRITE_GROUPS = "groups:write"
READ_GROUPS = "groups:read"
KNOWN_SCOPES = frozenset({PUBLISH_EVENTS, WRITE_GROUPS, READ_GROUPS})

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # No ":": the name is the events' source and the scope of their ids (`<name>:<id>`, see
    # event_ids.py), and webhook events' source is `webhook:<source>`, which no key may pose as.
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    sha256: Sha256Hex
    scopes: frozenset[str]
    rate_limit: RateLimitSetting = None  # None: HERALD_RATE_LIMIT_PER_SECOND and _BURST

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

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def load(cls, path: Path) -> ApiKeyring:
        return cls.parse(read_keys_file(path), path)

    @classmethod
    def parse(cls, content: bytes, path: Path) -> ApiKeyring:
        """The keys in `content`, the bytes of the keys file at `path` (named in the errors)."""
        try:
            parsed = KeysFile.model_validate(tomllib.loads(content.decode()))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ApiKeyError(f"API keys file {path} is invalid: {exc}") from None
        except ValidationError as exc:
            raise ApiKeyError(f"API keys file {path} is invalid: {_describe(exc)}") from None
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


def read_keys_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ApiKeyError(f"API keys file {path} does not exist; make a key with "
                          "`python -m herald.notifier.api_keys --name NAME`") from None
    except OSError as exc:
        raise ApiKeyError(f"cannot read API keys file {path}: {exc.strerror}") from None


def _describe(exc: ValidationError) -> str:
    # Without the input values: a key pasted where its hash belongs must not reach the log.
    return "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                     for error in exc.errors(include_url=False, include_input=False, include_context=False))


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def config_entry(name: str, key: str, scopes: list[str], rate_limit: RateLimitSetting = None) -> str:
    scope_list = ", ".join(f'"{scope}"' for scope in scopes)
    entry = f'[[keys]]\nname = "{name}"\nsha256 = "{hash_key(key)}"\nscopes = [{scope_list}]\n'
    if isinstance(rate_limit, RateLimit):
        entry += f"rate_limit = {{ per_second = {rate_limit.per_second:g}, burst = {rate_limit.burst} }}\n"
    elif rate_limit == UNLIMITED:
        entry += f'rate_limit = "{UNLIMITED}"\n'
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Make a new Herald API key.")
    parser.add_argument("--name", required=True, help="shown as the source of the events it publishes")
    parser.add_argument("--scope", action="append", choices=sorted(KNOWN_SCOPES), dest="scopes",
                        help=f"repeatable; default {PUBLISH_EVENTS}")
    parser.add_argument("--per-second", type=float, help="its rate limit: requests per second (with --burst)")
    parser.add_argument("--burst", type=int, help="its rate limit: requests at once (with --per-second)")
    parser.add_argument("--unlimited", action="store_true", help="no rate limit for this key")
    parser.add_argument("--append-to", type=Path, help="also append the entry to this keys file")
    args = parser.parse_args(argv)
    if (args.per_second is None) != (args.burst is None) or (args.unlimited and args.burst is not None):
        parser.error("give --per-second with --burst, or --unlimited, or neither (the notifier's default)")
    rate_limit: RateLimitSetting = UNLIMITED if args.unlimited else None
    try:
        if args.burst is not None:
            rate_limit = RateLimit(per_second=args.per_second, burst=args.burst)
        ApiKey(name=args.name, sha256="0" * 64, scopes=frozenset())  # validates the name early
    except ValidationError as exc:
        parser.error(str(exc))
    key = new_key()
    entry = config_entry(args.name, key, args.scopes or [PUBLISH_EVENTS], rate_limit)
    if args.append_to:
        args.append_to.parent.mkdir(parents=True, exist_ok=True)
        with args.append_to.open("a") as keys_file:
            keys_file.write(entry + "\n")
    print(f"API key (shown once): {key}\n\n{entry}")


if __name__ == "__main__":
    main()
