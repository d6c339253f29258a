"""The notifier's settings, read from HERALD_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from herald.contract.settings import CommonSettings


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
    batch_max_request_bytes: int = Field(
        default=4 * 1024 * 1024, gt=0, description="Largest accepted body of POST /v1/events/batch (1,000 events).")
    webhook_sources_file: Path | None = Field(
        default=None, description="TOML file of webhook sources; unset, every /v1/webhooks/<source> is 404.")
    webhook_dedupe_hours: float = Field(
        default=24, gt=0, description="How long a repeated webhook delivery id is answered 200 and not published.")
    # Apart from max_request_bytes: senders' payloads (a GitHub push with many commits) are far
    # larger than a hand-written event, and the sender, not the client, decides their size.
    webhook_max_request_bytes: int = Field(default=1024 * 1024, gt=0, description="Largest accepted webhook body.")

    # Per worker process: each keeps its own buckets (README, "Rate limits").
    rate_limit_per_second: float = Field(
        default=100, gt=0, description="Requests per second of an API key or webhook source without a rate_limit.")
    rate_limit_burst: int = Field(
        default=200, ge=1, description="Requests at once of an API key or webhook source without a rate_limit.")
    failed_auth_per_second: float = Field(
        default=5, gt=0, description="Requests per second from one client address that fail authentication.")
    failed_auth_burst: int = Field(
        default=50, ge=1, description="Requests at once from one client address that fail authentication.")

    @field_validator("webhook_sources_file", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # Compose files pass `${HERALD_WEBHOOK_SOURCES_FILE:-}`, an empty string, when it is not set.
        return None if value == "" else value
