"""The chat instance's settings, read from HERALD_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from herald.contract.settings import CommonSettings

# Relative to the working directory: `python -m herald.chat` from a checkout keeps it in var/, as `./herald up`.
DEMO_HISTORY_URL = "sqlite+aiosqlite:///var/herald-history.sqlite3"


class ChatSettings(CommonSettings):
    auth_mode: Literal["password", "header"] = Field(default="password", description="How users log in.")
    auth_header: str = Field(default="X-Forwarded-User", description="In header mode, the header naming the user.")
    users_file: Path = Field(default=Path("config/users.toml"), description="In password mode, the users file.")
    inbox_prefetch: int = Field(default=64, gt=0, description="Unacked events per user inbox consumer.")
    render_attempts: int = Field(default=3, gt=0, description="Failed renders before an event is dead-lettered.")
    data_layer_url: str = Field(
        default=DEMO_HISTORY_URL,
        description="The demo app's thread history: a SQLAlchemy URL (sqlite+aiosqlite or postgresql+asyncpg) for "
                    "Chainlit's data layer, schema made by Herald; empty for none.")
    reconnect_grace_seconds: float = Field(
        default=15.0, gt=0, description="How long a dropped tab's unproven events wait for it before they go "
                                        "back to the user's inbox.")
    session_timeout_seconds: int | None = Field(
        default=None, gt=0, description="Overrides Chainlit's project.session_timeout when set.")
    image_hosts: str = Field(
        default="", description="Comma-separated hosts whose https images event bodies may show; none by default.")

    def allowed_image_hosts(self) -> frozenset[str]:
        return frozenset(host.strip().lower() for host in self.image_hosts.split(",") if host.strip())


@lru_cache(maxsize=1)
def image_hosts() -> frozenset[str]:
    """HERALD_IMAGE_HOSTS, read once per process: rendering happens on every event."""
    return ChatSettings().allowed_image_hosts()
