"""API keys are read again when their file changes: a revoked key is refused within a second, with no restart."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from herald.notifier.api_keys import PUBLISH_EVENTS, config_entry, new_key
from tests.support import processes
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def publish(notifier: processes.Service, key: str) -> httpx.Response:
    event = {"target": {"user": f"reload-sink-{uuid.uuid4().hex[:8]}"}, "body": "still allowed?"}
    return httpx.post(f"{notifier.url}/v1/events", json=event, headers={"Authorization": f"Bearer {key}"},
                      timeout=10)


def replace(path: Path, text: str) -> None:
    # As editors and config management write: a new file renamed over the old one.
    scratch = path.with_suffix(".new")
    scratch.write_text(text)
    scratch.replace(path)


async def test_a_key_removed_from_the_file_is_refused_within_a_second(amqp_url: str, workdir: Path) -> None:
    revoked, kept, added = new_key(), new_key(), new_key()
    keys_file = workdir / f"reload-keys-{uuid.uuid4().hex[:8]}.toml"
    kept_entry = config_entry("kept", kept, [PUBLISH_EVENTS])
    keys_file.write_text(config_entry("revoked", revoked, [PUBLISH_EVENTS]) + kept_entry)
    with processes.notifier(amqp_url, keys_file, workdir) as notifier:
        assert publish(notifier, revoked).status_code == 202

        replace(keys_file, kept_entry)
        removed_at = time.monotonic()
        refused = publish(notifier, revoked)
        assert refused.status_code == 401, refused.text
        assert time.monotonic() - removed_at < 1
        assert publish(notifier, kept).status_code == 202

        with keys_file.open("a") as appending:  # `--append-to`: written in place
            appending.write(config_entry("added", added, [PUBLISH_EVENTS]))
        assert publish(notifier, added).status_code == 202

        replace(keys_file, "keys = [")  # broken: the keys loaded before keep serving
        assert publish(notifier, kept).status_code == 202
        assert publish(notifier, added).status_code == 202
        assert publish(notifier, revoked).status_code == 401
        await wait_until(lambda: "still using the keys loaded before" in notifier.output(),
                         what="the notifier to log the broken keys file")
        assert kept not in notifier.output() and added not in notifier.output()


def test_a_broken_keys_file_stops_the_start(amqp_url: str, workdir: Path) -> None:
    keys_file = workdir / f"broken-keys-{uuid.uuid4().hex[:8]}.toml"
    keys_file.write_text('[[keys]]\nname = "ci"\nsha256 = "not-a-hash"\nscopes = []\n')
    with pytest.raises(RuntimeError, match=r"exited with 1[\s\S]*is invalid: keys\.0\.sha256"), \
            processes.notifier(amqp_url, keys_file, workdir):
        pass
