"""Fixtures shared by the webhook unit tests (fixtures, not imports, so any import mode works)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from herald.notifier.webhooks import SourceConfig, parse_sources

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks"

MakeSource = Callable[..., SourceConfig]


@pytest.fixture
def make_source() -> MakeSource:
    """A source from the keys of its TOML table; a token scheme unless `verification` is given."""

    def make(name: str = "test", **table: Any) -> SourceConfig:
        table.setdefault("verification", {"scheme": "token", "header": "X-Token", "secrets": ["t0ken"]})
        return parse_sources({"sources": {name: table}})[name]

    return make


@pytest.fixture
def read_fixture() -> Callable[[str], bytes]:
    return lambda relative: (FIXTURES / relative).read_bytes()
