"""Every URL's password is masked in what the services' log handler writes, whoever logged it."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from herald.contract.logs import logging_config, mask_url_passwords

pytestmark = pytest.mark.unit


def test_every_url_in_a_line_is_masked() -> None:
    line = ("amqp://herald:s3cret@rabbit-a:5672/ and amqps://u:p%40ss@b/vh, "
            "postgresql+asyncpg://app:hunter2@db/chat?x=1")
    masked = mask_url_passwords(line)
    assert "s3cret" not in masked and "p%40ss" not in masked and "hunter2" not in masked
    assert masked == ("amqp://herald:******@rabbit-a:5672/ and amqps://u:******@b/vh, "
                      "postgresql+asyncpg://app:******@db/chat?x=1")


def test_an_unencoded_at_sign_does_not_leave_a_tail() -> None:
    assert mask_url_passwords("amqp://u:pa@ss@host:5672/") == "amqp://u:******@host:5672/"


def test_urls_without_a_password_are_left_alone() -> None:
    line = "amqp://host:5672/vhost, http://127.0.0.1:8000/v1/events, amqp://user@host/, a:b@c"
    assert mask_url_passwords(line) == line


@pytest.fixture
def captured() -> Iterator[logging.Logger]:
    """A logger writing through the services' handler (as `logging_config` builds it) into a string."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    config = logging_config("info")
    config["handlers"]["stderr"]["stream"] = stream
    config["root"] = {"level": "INFO", "handlers": []}
    config["loggers"] = {"masking-test": {"level": "INFO", "handlers": ["stderr"], "propagate": False}}
    logging.config.dictConfig(config)
    logger = logging.getLogger("masking-test")
    logger.stream = stream  # type: ignore[attr-defined]
    yield logger
    for handler in logger.handlers:
        logger.removeHandler(handler)
    root.handlers[:], root.level = handlers, level


def test_the_handler_masks_arguments_exceptions_and_stacks(captured: logging.Logger) -> None:
    url = "amqp://guest:topsecret@127.0.0.1:5672/"
    captured.warning("connecting to %s and %r", url, {"url": url.replace("guest", "other")})
    try:
        raise ConnectionError(f"cannot reach {url}")
    except ConnectionError:
        captured.exception("failed")
    captured.info("where %s", url, stack_info=True)
    written = captured.stream.getvalue()  # type: ignore[attr-defined]
    assert "topsecret" not in written
    assert written.count("guest:******@127.0.0.1") == 3 and "other:******@" in written
