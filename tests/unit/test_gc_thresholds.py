"""Both services raise CPython's collector thresholds when they start serving (shared/gc_thresholds.py),
unless a benchmark run measures them without (HERALD_BENCH_WITHOUT=gc_thresholds)."""

from __future__ import annotations

import gc
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.chat import server as chat_server
from herald.contract.bench_switches import WITHOUT_VARIABLE
from herald.contract.gc_thresholds import GC_THRESHOLDS
from herald.notifier.api_keys import PUBLISH_EVENTS, config_entry, new_key
from herald.notifier.app import create_app
from herald.notifier.config import NotifierSettings

pytestmark = pytest.mark.unit

CPYTHON_DEFAULTS = (700, 10, 10)


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*CPYTHON_DEFAULTS)
    yield
    gc.set_threshold(*before)


@pytest.fixture(params=["", "gc_thresholds"])
def expected(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """The thresholds a service serves with: Herald's, or CPython's when the benchmark turns them off."""
    monkeypatch.setenv(WITHOUT_VARIABLE, request.param)
    return CPYTHON_DEFAULTS if request.param else GC_THRESHOLDS


@pytest.mark.usefixtures("default_thresholds")
async def test_the_notifier_raises_them_when_its_lifespan_starts(tmp_path: Path,
                                                                 expected: tuple[int, int, int]) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(config_entry("ops", new_key(), [PUBLISH_EVENTS]))
    # Nothing listens on port 9: the publisher keeps trying in the background until the lifespan ends.
    app = create_app(NotifierSettings(api_keys_file=keys, state_db=tmp_path / "state.sqlite3",
                                      amqp_url="amqp://guest:guest@127.0.0.1:9/"))
    assert gc.get_threshold() == CPYTHON_DEFAULTS  # building the app (tests, the start-up check) changes nothing
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == expected


@pytest.mark.usefixtures("default_thresholds")
def test_the_chat_raises_them_before_it_serves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               expected: tuple[int, int, int]) -> None:
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(chat_server, "serve", lambda *_args: seen.append(gc.get_threshold()))
    # The rest of the start changes this test process for the tests after it: not here.
    monkeypatch.setattr(logging.config, "dictConfig", lambda _config: None)
    monkeypatch.setattr(chat_server, "_fewer_malloc_arenas", lambda: None)
    chat_server.main([str(tmp_path / "app.py"), "--port", "8001"])
    assert seen == [expected]
