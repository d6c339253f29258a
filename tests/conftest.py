"""Fixtures shared by every tier: a real broker and Postgres, keys and users files, and the services as processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from herald.chat.users import add_user
from herald.notifier.api_keys import PUBLISH_EVENTS, WRITE_GROUPS, config_entry, new_key
from herald.notifier.rate_limits import UNLIMITED
from tests.support import processes
from tests.support.broker import rabbitmq_url
from tests.support.postgres import PostgresServer, private_server
from tests.support.webhook_senders import WebhookSources, write_sources

pytest_plugins = ["tests.support.tiers", "tests.support.leftovers"]

# `--hypothesis-profile=long`: the e2e property search (tests/e2e/test_routing_properties.py) explores
# this many random examples instead of CI's fixed set, and shrinks a failure (tests/README.md). Failures
# are kept in .hypothesis/ and tried first on the next run.
settings.register_profile("long", max_examples=300, deadline=None, phases=list(Phase),
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)

PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}


@dataclass(frozen=True)
class Keys:
    publisher: str
    no_scope: str
    groups: str
    file: Path


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    with rabbitmq_url() as url:
        yield url


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A private Postgres from Debian's package (tests/support/postgres.py), started once a run when asked
    for; a test that asks for it fails, never skips, when none can be started."""
    with private_server() as server:
        yield server


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("herald")


@pytest.fixture(scope="session")
def keys(workdir: Path) -> Keys:
    publisher, no_scope, groups = new_key(), new_key(), new_key()
    path = workdir / "api-keys.toml"
    path.write_text("\n".join([
        config_entry("tests", publisher, [PUBLISH_EVENTS]),
        config_entry("reader", no_scope, []),
        # Unlimited: the OpenAPI conformance test sends it ~800 requests as fast as it can, and a 429 would
        # stand in for the answer it checks (the rate limits have tests and keys of their own).
        config_entry("admin", groups, [PUBLISH_EVENTS, WRITE_GROUPS], rate_limit=UNLIMITED),
    ]))
    return Keys(publisher, no_scope, groups, path)


@pytest.fixture(scope="session")
def users_file(workdir: Path) -> Path:
    path = workdir / "users.toml"
    for user, password in PASSWORDS.items():
        add_user(path, user, password)
    return path


@pytest.fixture(scope="session")
def webhook_sources(workdir: Path) -> WebhookSources:
    return write_sources(workdir / "webhook-sources.toml")


@pytest.fixture(scope="session")
def notifier(amqp_url: str, keys: Keys, workdir: Path, webhook_sources: WebhookSources) -> Iterator[processes.Service]:
    with processes.notifier(amqp_url, keys.file, workdir,
                            env={"HERALD_WEBHOOK_SOURCES_FILE": str(webhook_sources.file)}) as service:
        yield service


@pytest.fixture(scope="session")
def chat(amqp_url: str, users_file: Path, workdir: Path) -> Iterator[processes.Service]:
    with processes.chat(amqp_url, users_file, workdir) as service:
        yield service
