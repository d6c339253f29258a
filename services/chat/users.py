"""The password users file: user ids with scrypt password hashes, for the demo login.

`python -m herald.chat.users add alice` asks for a password (or reads one line from stdin with
--password-stdin) and writes the hash into the users file. Passwords are never stored.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import sys
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from herald.contract.events import UserId

# scrypt is in the standard library and memory-hard; these are the parameters OWASP suggests.
_N, _R, _P = 2**14, 8, 1


class UserRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    password_hash: str
    display_name: str | None = None


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: dict[UserId, UserRecord] = {}


class UsersFileError(ValueError):
    """The users file cannot be used; the message names the file and the problem."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def load_users(path: Path) -> UsersFile:
    try:
        return UsersFile.model_validate(tomllib.loads(path.read_text()))
    except FileNotFoundError as exc:
        raise UsersFileError(f"users file {path} does not exist; add a user with "
                             "`python -m herald.chat.users add NAME`") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise UsersFileError(f"users file {path} is invalid: {exc}") from exc


def add_user(path: Path, user: str, password: str) -> None:
    users = load_users(path) if path.exists() else UsersFile()
    users.users[user] = UserRecord(password_hash=hash_password(password))
    lines = []
    for name, record in sorted(users.users.items()):
        lines += [f'[users."{name}"]', f'password_hash = "{record.password_hash}"']
        if record.display_name:
            lines.append(f"display_name = {record.display_name!r}".replace("'", '"'))
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    from herald.chat.config import ChatSettings

    parser = argparse.ArgumentParser(description="Manage the Herald chat's password users file.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a user or change their password")
    add.add_argument("user")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--file", type=Path, help="default: HERALD_USERS_FILE")
    args = parser.parse_args(argv)
    path = args.file or ChatSettings().users_file
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.user}: ")
    if not password:
        sys.exit("herald users: the password is empty")
    try:
        UsersFile.model_validate({"users": {args.user: {"password_hash": "x"}}})
    except ValidationError:
        sys.exit(f"herald users: '{args.user}' is not a valid user id (letters, digits and _ . @ + -)")
    add_user(path, args.user, password)
    print(f"{args.user} can now log in (users file: {path})")


if __name__ == "__main__":
    main()
