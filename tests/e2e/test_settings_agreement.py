"""A chat replica or notifier whose settings differ from its deployment's refuses to start, saying which
setting, both values and what to do: real processes on a real broker (shared/agreed_settings.py).

Before, a replica with another session timeout started, and a tab moving to it lost its events: the
broker refused to declare the tab's queue with other arguments.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from herald.contract.agreed_settings import STARTUP_FAILURE
from tests.conftest import Keys
from tests.support import processes
from tests.support.processes import Service

pytestmark = pytest.mark.e2e


def deployment() -> dict[str, str]:
    return {"HERALD_DEPLOYMENT": f"agree-{uuid.uuid4().hex[:8]}", "HERALD_AUTH_MODE": "header"}


def refused_start(starting: AbstractContextManager[Service]) -> str:
    """Start a process that must end before it serves, as a failed start; return its output."""
    with pytest.raises(RuntimeError) as error, starting:
        pass
    message = str(error.value)
    assert f"exited with {STARTUP_FAILURE}:" in message
    return message


def test_a_chat_replica_with_another_session_timeout_refuses_to_start(
        amqp_url: str, users_file: Path, workdir: Path) -> None:
    shared = deployment()
    with processes.chat(amqp_url, users_file, workdir, name="agreeing-a",
                        env={**shared, "HERALD_SESSION_TIMEOUT_SECONDS": "5"}), \
            processes.chat(amqp_url, users_file, workdir, name="agreeing-b",
                           env={**shared, "HERALD_SESSION_TIMEOUT_SECONDS": "5"}):
        output = refused_start(processes.chat(amqp_url, users_file, workdir, name="disagreeing",
                                              env={**shared, "HERALD_SESSION_TIMEOUT_SECONDS": "7"}))
    assert (f"refusing to run: HERALD_SESSION_TIMEOUT_SECONDS is 7 in this herald-chat, but 5 in the other "
            f"processes of deployment '{shared['HERALD_DEPLOYMENT']}'") in output
    assert "Start this process with HERALD_SESSION_TIMEOUT_SECONDS=5" in output


def test_a_notifier_or_chat_with_other_inbox_settings_refuses_to_start(
        amqp_url: str, keys: Keys, users_file: Path, workdir: Path) -> None:
    shared = deployment()
    with processes.notifier(amqp_url, keys.file, workdir, env=shared):  # the first: records the defaults
        notifier = refused_start(processes.notifier(amqp_url, keys.file, workdir,
                                                    env={**shared, "HERALD_INBOX_MAX_LENGTH": "500"}))
        chat = refused_start(processes.chat(amqp_url, users_file, workdir, name="short-inboxes",
                                            env={**shared, "HERALD_INBOX_TTL_SECONDS": "60"}))
    assert "HERALD_INBOX_MAX_LENGTH is 500 in this herald-notifier, but 10000" in notifier
    assert "HERALD_INBOX_TTL_SECONDS is 60 in this herald-chat, but 604800" in chat
