"""The history schema agrees with what Chainlit's SQLAlchemy layer writes, and a history URL that cannot work
is refused at once with a message that says why and what would (the password masked)."""

from __future__ import annotations

import re
from typing import get_type_hints

import pytest
from chainlit.element import ElementDict
from chainlit.step import StepDict
from chainlit.types import Feedback

from herald.chat.config import DEMO_HISTORY_URL, ChatSettings
from herald.chat.history import HistoryMisconfigured, open_history
from herald.chat.history_schema import TABLES, UnsupportedDatabase, statements

pytestmark = pytest.mark.unit

COLUMNS = {table: {name for name, _, _ in columns} for table, columns in TABLES}


def test_every_step_key_chainlit_writes_has_a_column() -> None:
    # create_step inserts each non-empty key of the step dict as a column; `icon` goes into the metadata
    # (Step.to_dict) and `feedback` is a table of its own.
    written = set(get_type_hints(StepDict)) - {"icon", "feedback"}
    assert written <= COLUMNS["steps"], written - COLUMNS["steps"]


def test_every_element_and_feedback_key_chainlit_writes_has_a_column() -> None:
    # create_element writes Element.to_dict(): ElementDict less path (a local file it uploads instead);
    # upsert_feedback writes the Feedback dataclass's fields.
    assert set(get_type_hints(ElementDict)) - {"path"} <= COLUMNS["elements"]
    assert set(get_type_hints(Feedback)) <= COLUMNS["feedbacks"]


def test_postgres_gets_the_documented_types_and_sqlite_text() -> None:
    postgres, sqlite = "\n".join(statements("postgresql")), "\n".join(statements("sqlite"))
    assert '"id" UUID PRIMARY KEY' in postgres and '"metadata" JSONB' in postgres and '"tags" TEXT[]' in postgres
    assert not re.search(r"UUID|JSONB|\[\]", sqlite)
    assert all("IF NOT EXISTS" in statement for statement in statements("sqlite"))


def test_other_databases_have_no_schema() -> None:
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        statements("mysql")


def test_the_demo_keeps_history_in_sqlite_under_var_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HERALD_DATA_LAYER_URL", raising=False)
    assert ChatSettings().data_layer_url == DEMO_HISTORY_URL == "sqlite+aiosqlite:///var/herald-history.sqlite3"
    monkeypatch.setenv("HERALD_DATA_LAYER_URL", "")
    assert ChatSettings().data_layer_url == ""  # none


@pytest.mark.parametrize(("url", "says"), [
    ("not a url", "not a database URL"),
    ("mysql+aiomysql://herald:s3cret@db/herald", "Postgres or SQLite, not mysql"),
    ("sqlite:///history.sqlite3", "synchronous driver; Chainlit's layer needs an asyncio one: sqlite+aiosqlite"),
    ("postgresql+nodriver://herald:s3cret@db/herald", "driver is not installed"),
])
def test_a_url_that_cannot_work_is_refused_with_what_would(url: str, says: str) -> None:
    with pytest.raises(HistoryMisconfigured) as refused:
        open_history(url)
    assert says in str(refused.value)
    assert "s3cret" not in str(refused.value)
