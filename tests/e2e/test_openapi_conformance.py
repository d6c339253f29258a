"""The notifier's OpenAPI document tells the truth, and nothing a client sends gets a 5xx.

schemathesis generates requests from the served document and checks every answer against it: a
documented status, content type, body schema and headers; schema-valid requests accepted and invalid
ones refused; a 401 without the key; a 405 with `Allow` for an undocumented method; never a 5xx. It runs
as its CLI (the public interface) against the session's real notifier and broker, with a valid API key
and the webhook source `relay`, whose shared token lets generated bodies reach the webhook template.
Deterministic generation (no seed, no example database): the same requests on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Keys
from tests.support.processes import ROOT, Service
from tests.support.webhook_senders import WebhookSources

pytestmark = pytest.mark.e2e

MIN_CASES = 500
# Well inside the suite's timeout; ~15 s on an idle 2-core machine, slower while others run tests.
MAX_SECONDS = 90
# A refused request: schemathesis's default list lacks 413, which the notifier answers for too many events.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]


def test_generated_requests_get_documented_answers_and_never_a_5xx(
        notifier: Service, keys: Keys, webhook_sources: WebhookSources, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(f"""
base-url = "{notifier.url}"
headers = {{ Authorization = "Bearer {keys.groups}" }}

[generation]
deterministic = true
database = "none"
max-examples = 75

[checks]
negative_data_rejection.expected-statuses = {json.dumps(REFUSALS)}

[[operations]]
include-path = "/v1/webhooks/{{source}}"
parameters = {{ source = "relay" }}
headers = {{ X-Relay-Token = "{webhook_sources.relay}" }}
""")
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
               f"{notifier.url}/openapi.json", "--checks", "all", "--no-color",
               "--report", "json", "--report-json-path", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks"}
    started = time.monotonic()
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=MAX_SECONDS * 2, check=False)
    elapsed = time.monotonic() - started

    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    result = json.loads(report.read_text())
    assert result["failures"] == [] and result["errors"] == [], run.stdout[-12000:]
    assert result["operations"]["tested"] == result["operations"]["total"] == 8
    assert result["test_cases"]["generated"] >= MIN_CASES, result["test_cases"]
    assert not [name for name, operations in result["warnings"].items() if operations], result["warnings"]
    assert elapsed < MAX_SECONDS, f"schemathesis took {elapsed:.0f} s"
