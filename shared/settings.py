"""Settings both services read. Each service extends `CommonSettings` with its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HERALD_", extra="ignore")

    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ URL, shared by the notifier and the chat.",
    )
    # Inbox arguments must be equal on every declare (RabbitMQ closes the channel otherwise), so
    # every process of a deployment must run with the same values.
    inbox_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0, description="How long an event waits in an inbox.")
    inbox_max_length: int = Field(default=10_000, gt=0, description="Events an inbox holds before it refuses more.")
    # The inbox settings and the chat's session timeout are checked against the deployment's recorded
    # values at startup (shared/agreed_settings.py).
    deployment: str = Field(default="herald", pattern=r"^[A-Za-z0-9_-]{1,64}$",
                            description="Names the processes that must agree on the settings above.")
