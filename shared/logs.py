"""How both services log: every logger to stderr, one line per record, in one format."""

from __future__ import annotations

from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; uvicorn also applies it in each spawned worker, which
    does not inherit a `basicConfig`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
