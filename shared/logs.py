"""How both services log: every logger to stderr, one line per record, in one format, with the password
of every URL in it masked.

The masking is a filter on the handler, not on Herald's loggers: a URL reaches the log through
whichever library formats it (aio-pika and aiormq print connections, pydantic a failing setting,
uvicorn a traceback), and a handler's filter sees every record it writes, exception text included.
"""

from __future__ import annotations

import logging
import re
from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "******"

# scheme://user:password@ — the password runs to the authority's last "@" (an unencoded "@" in a
# password must not leave its tail in the clear); masking too much is the safe mistake.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s/]*@")
_formatter = logging.Formatter()


def mask_url_passwords(text: str) -> str:
    return _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)


class MaskSecrets(logging.Filter):
    """Masks the password of every URL in a record's message, exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_url_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)  # as Formatter.format would
        if record.exc_text:
            record.exc_text = mask_url_passwords(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_url_passwords(record.stack_info)
        return True


def mask_secrets_in(logger: logging.Logger) -> None:
    """Put the filter on the handlers `logger` has (an embedding app's, under `chainlit run`)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, MaskSecrets) for existing in handler.filters):
            handler.addFilter(MaskSecrets())


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary; uvicorn also applies it in each spawned worker, which
    does not inherit a `basicConfig`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "filters": {"mask_secrets": {"()": "herald.contract.logs.MaskSecrets"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_secrets"]}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
