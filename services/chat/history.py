"""Thread history: Chainlit's SQLAlchemy data layer on the database a URL names, its schema made by Herald.

    from herald.chat.history import open_history
    history = open_history("sqlite+aiosqlite:///var/herald-history.sqlite3")  # or postgresql+asyncpg://...
    cl.data_layer(lambda: history)

A bad URL (unparsable, a synchronous driver, a driver that is not installed, a database other than
Postgres or SQLite) is a `HistoryMisconfigured` at once, before the app serves. A database that does not
answer is not: the chat serves and shows notifications live, logs why history is off, and tries the
database again on a later write (at most every `RETRY_SECONDS`); what was shown meanwhile is not kept.
That is how Chainlit's layer treats a failing statement too (logged, the write dropped).

Relies on one thing of Chainlit's beyond its documented interface: `SQLAlchemyDataLayer.execute_sql` is
the one method through which the layer runs SQL, so making the schema before it covers every read and
write (tests/unit/test_history.py runs the layer's methods on a database with no tables to hold that).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError, NoSuchModuleError

from herald.chat.history_schema import TYPES, create_schema
from herald.contract.logs import mask_url_passwords

log = logging.getLogger("herald.chat.history")

RETRY_SECONDS = 5.0  # between attempts to reach a database that did not answer
CONNECT_TIMEOUT_SECONDS = 10  # a Postgres that does not answer holds a write this long, not asyncpg's 60 s
EXAMPLES = "sqlite+aiosqlite:///var/herald-history.sqlite3 or postgresql+asyncpg://user:password@host/database"


class HistoryMisconfigured(ValueError):
    """The history URL cannot work as given; the message says why and what would."""


class HeraldHistory(SQLAlchemyDataLayer):
    """Chainlit's layer, which makes its tables before its first statement."""

    def __init__(self, url: str, connect_args: dict[str, Any]) -> None:
        super().__init__(conninfo=url, connect_args=connect_args)
        self.where = mask_url_passwords(url)
        self._schema_made = False
        self._making = asyncio.Lock()
        self._failed_at: float | None = None

    async def ensure_schema(self) -> bool:
        """Make the schema unless done; False (and logged) when the database does not answer."""
        if self._schema_made:
            return True
        async with self._making:
            if self._schema_made:
                return True
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
                return False
            try:
                await create_schema(self.engine)
            except Exception as exc:  # any failure to reach or use the database: the chat serves on
                self._failed_at = time.monotonic()
                log.error("thread history is off: the database at %s did not answer (%s: %s). Notifications "
                          "are shown but not kept; trying again on a later write.", self.where,
                          type(exc).__name__, mask_url_passwords(str(exc)))
                return False
            self._schema_made, self._failed_at = True, None
            log.info("thread history in %s", self.where)
            return True

    async def execute_sql(self, query: str, parameters: dict[Any, Any]) -> list[dict[str, Any]] | int | None:
        if not await self.ensure_schema():
            return None  # what Chainlit's execute_sql answers for a failing statement
        return await super().execute_sql(query, parameters)


def open_history(url: str) -> HeraldHistory:
    """The data layer for `url`; nothing is connected yet. Raises HistoryMisconfigured for a URL that cannot work."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise HistoryMisconfigured(f"HERALD_DATA_LAYER_URL is not a database URL ({exc}); e.g. {EXAMPLES}") from exc
    where = mask_url_passwords(url)
    dialect = parsed.get_backend_name()
    if dialect not in TYPES:
        raise HistoryMisconfigured(f"HERALD_DATA_LAYER_URL {where}: Herald keeps history in Postgres or SQLite, "
                                   f"not {dialect}; e.g. {EXAMPLES}")
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_SECONDS} if dialect == "postgresql" else {}
    if dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)  # the default's var/, say
    try:
        return HeraldHistory(url, connect_args)
    except InvalidRequestError as exc:  # a synchronous driver: the layer needs an asyncio one
        driver = "asyncpg" if dialect == "postgresql" else "aiosqlite"
        raise HistoryMisconfigured(f"HERALD_DATA_LAYER_URL {where} names a synchronous driver; Chainlit's layer "
                                   f"needs an asyncio one: {dialect}+{driver}://...") from exc
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise HistoryMisconfigured(f"HERALD_DATA_LAYER_URL {where}: its driver is not installed ({exc}). Herald's "
                                   f"history extra (pip install 'herald[history]') brings aiosqlite and asyncpg: "
                                   f"e.g. {EXAMPLES}") from exc
