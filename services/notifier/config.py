"""The notifier's settings, read from HERALD_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import CommonSettings


class NotifierSettings(CommonSettings):
    api_keys_file: Path = Field(default=Path("config/api-keys.toml"), description="TOML file of hashed API keys.")
    state_db: Path = Field(
        default=Path("var/notifier.sqlite3"),
        description="SQLite file for idempotency keys and seen webhook deliveries; survives restarts.",
    )
    idempotency_hours: float = Field(default=24, gt=0, description="How long a repeated request gets the first answer.")
    publish_timeout_seconds: float = Field(default=5, gt=0, description="How long to wait for a confirm before a 503.")
    retry_after_seconds: int = Field(default=5, gt=0, description="Retry-After sent with a 503.")
    max_request_bytes: int = Field(default=64 * 1024, gt=0, description="Largest accepted request body.")
