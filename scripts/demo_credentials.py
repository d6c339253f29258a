"""Fresh demo credentials for `./herald up`: a chat user with a random password, an API key, an auth secret.

They are written under var/demo/ (git-ignored) and made anew on every start, because a key or a
password is kept only as a hash and could not be shown again.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from herald.chat.users import add_user
from herald.notifier.api_keys import PUBLISH_EVENTS, WRITE_GROUPS, config_entry, new_key

DEMO_USER = "alice"


@dataclass(frozen=True)
class DemoCredentials:
    user: str
    password: str
    api_key: str
    auth_secret: str
    users_file: Path
    keys_file: Path


def make_demo_credentials(directory: Path) -> DemoCredentials:
    directory.mkdir(parents=True, exist_ok=True)
    users_file, keys_file = directory / "users.toml", directory / "api-keys.toml"
    password, api_key = secrets.token_urlsafe(9), new_key()
    users_file.unlink(missing_ok=True)
    add_user(users_file, DEMO_USER, password)
    keys_file.write_text(config_entry("demo", api_key, [PUBLISH_EVENTS, WRITE_GROUPS]))
    auth_secret = secrets.token_urlsafe(48)
    (directory / "chainlit-auth-secret").write_text(auth_secret)
    return DemoCredentials(DEMO_USER, password, api_key, auth_secret, users_file, keys_file)


# The demo's image: on a host `./herald up` allows (HERALD_IMAGE_HOSTS), a stable file on Wikimedia.
DEMO_IMAGE_HOST = "upload.wikimedia.org"
DEMO_IMAGE = (f"https://{DEMO_IMAGE_HOST}/wikipedia/commons/thumb/4/47/PNG_transparency_demonstration_1.png/"
              "280px-PNG_transparency_demonstration_1.png")


def welcome(credentials: DemoCredentials, chat_url: str, notifier_url: str) -> str:
    docs = f"{notifier_url}/docs"
    event = json.dumps({"target": {"user": credentials.user}, "title": "Hello from Herald",
                        "body": "It **works**.", "severity": "success", "url": docs, "image": DEMO_IMAGE,
                        "actions": [{"type": "link", "label": "API docs", "url": docs},
                                    {"type": "ack", "label": "Got it"}]})
    return f"""
Herald is up.
  Chat:      {chat_url}   (log in as {credentials.user} / {credentials.password})
  Notifier:  {notifier_url}/docs

Send {credentials.user} a notification:

  curl -sS -X POST {notifier_url}/v1/events \\
    -H 'Authorization: Bearer {credentials.api_key}' \\
    -H 'Content-Type: application/json' \\
    -d '{event}'
"""
