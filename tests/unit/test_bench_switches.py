"""The benchmark's switches (shared/bench_switches.py) turn off only what they name, and a misspelt one
stops the replica rather than measuring the optimised code under the wrong label."""

from __future__ import annotations

import gc
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.chat import server as chat_server
from herald.contract.bench_switches import WITHOUT_VARIABLE, turned_off
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


def test_nothing_is_turned_off_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WITHOUT_VARIABLE, raising=False)
    assert turned_off() == frozenset()
    monkeypatch.setenv(WITHOUT_VARIABLE, " lean_ws_queue, gc_thresholds ,")
    assert turned_off() == {"lean_ws_queue", "gc_thresholds"}


def test_an_unknown_name_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WITHOUT_VARIABLE, "lean_queues")
    with pytest.raises(SystemExit, match="lean_queues"):
        turned_off()


@pytest.mark.usefixtures("default_thresholds")
@pytest.mark.parametrize(("without", "expected"), [("", GC_THRESHOLDS), ("gc_thresholds", CPYTHON_DEFAULTS)])
def test_the_chat_keeps_cpythons_thresholds_only_when_told(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, without: str, expected: tuple[int, int, int]) -> None:
    monkeypatch.setenv(WITHOUT_VARIABLE, without)
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(chat_server, "serve", lambda *_args: seen.append(gc.get_threshold()))
    monkeypatch.setattr(logging.config, "dictConfig", lambda _config: None)
    monkeypatch.setattr(chat_server, "_fewer_malloc_arenas", lambda: None)
    chat_server.main([str(tmp_path / "app.py"), "--port", "8001"])
    assert seen == [expected]


@pytest.mark.usefixtures("default_thresholds")
@pytest.mark.parametrize(("without", "expected"), [("", GC_THRESHOLDS), ("gc_thresholds", CPYTHON_DEFAULTS)])
async def test_the_notifier_keeps_cpythons_thresholds_only_when_told(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, without: str, expected: tuple[int, int, int]) -> None:
    monkeypatch.setenv(WITHOUT_VARIABLE, without)
    keys = tmp_path / "keys.toml"
    keys.write_text(config_entry("ops", new_key(), [PUBLISH_EVENTS]))
    # Nothing listens on port 9: the publisher keeps trying in the background until the lifespan ends.
    app = create_app(NotifierSettings(api_keys_file=keys, state_db=tmp_path / "state.sqlite3",
                                      amqp_url="amqp://guest:guest@127.0.0.1:9/"))
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == expected
