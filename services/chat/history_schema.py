"""The tables of Chainlit's SQLAlchemy data layer, made by Herald so that nobody has to.

Chainlit gives the schema only in its documentation (docs.chainlit.io, "SQLAlchemy Data Layer"), in
Postgres types. These are its columns as `chainlit/data/sql_alchemy.py` (2.12) reads and writes them,
in one table per dialect:
- Postgres: the documented types (UUID ids, JSONB, TEXT[] tags), so that Herald and a database someone
  made from the documentation agree. The layer sends JSON as text (json.dumps), which asyncpg takes for JSONB.
- SQLite: TEXT for each of those; the layer reads JSON text back as it wrote it.
Beyond the documentation: the keys Chainlit's dicts carry and the layer inserts when set, which would fail
without a column (`steps."autoCollapse"`, from every `cl.Step.to_dict()`; `elements."autoPlay"` and
`"playerConfig"`, of audio and video), and indexes on the columns the layer looks threads and steps up by.

Idempotent (IF NOT EXISTS): every chat replica runs it at start. On Postgres, concurrent CREATE TABLE IF NOT
EXISTS can still collide on the catalog, so the statements run under a transaction-scoped advisory lock.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Column types by role, per dialect.
TYPES = {
    "postgresql": {"id": "UUID", "json": "JSONB", "list": "TEXT[]"},
    "sqlite": {"id": "TEXT", "json": "TEXT", "list": "TEXT"},
}
# (table, columns): each column is (name, type or role in braces, constraint).
TABLES: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("users", (
        ("id", "{id}", "PRIMARY KEY"), ("identifier", "TEXT", "NOT NULL UNIQUE"), ("metadata", "{json}", "NOT NULL"),
        ("createdAt", "TEXT", ""),
    )),
    ("threads", (
        ("id", "{id}", "PRIMARY KEY"), ("createdAt", "TEXT", ""), ("name", "TEXT", ""),
        ("userId", "{id}", 'REFERENCES users("id") ON DELETE CASCADE'), ("userIdentifier", "TEXT", ""),
        ("tags", "{list}", ""), ("metadata", "{json}", ""),
    )),
    ("steps", (
        ("id", "{id}", "PRIMARY KEY"), ("name", "TEXT", "NOT NULL"), ("type", "TEXT", "NOT NULL"),
        ("threadId", "{id}", 'NOT NULL REFERENCES threads("id") ON DELETE CASCADE'), ("parentId", "{id}", ""),
        ("streaming", "BOOLEAN", "NOT NULL"), ("waitForAnswer", "BOOLEAN", ""), ("isError", "BOOLEAN", ""),
        ("metadata", "{json}", ""), ("tags", "{list}", ""), ("input", "TEXT", ""), ("output", "TEXT", ""),
        ("createdAt", "TEXT", ""), ("command", "TEXT", ""), ("start", "TEXT", ""), ("end", "TEXT", ""),
        ("generation", "{json}", ""), ("showInput", "TEXT", ""), ("language", "TEXT", ""), ("indent", "INT", ""),
        ("defaultOpen", "BOOLEAN", ""), ("autoCollapse", "BOOLEAN", ""), ("modes", "{json}", ""),
    )),
    ("elements", (
        ("id", "{id}", "PRIMARY KEY"), ("threadId", "{id}", 'REFERENCES threads("id") ON DELETE CASCADE'),
        ("type", "TEXT", ""), ("url", "TEXT", ""), ("chainlitKey", "TEXT", ""), ("name", "TEXT", "NOT NULL"),
        ("display", "TEXT", ""), ("objectKey", "TEXT", ""), ("size", "TEXT", ""), ("page", "INT", ""),
        ("language", "TEXT", ""), ("forId", "{id}", ""), ("mime", "TEXT", ""), ("props", "{json}", ""),
        ("autoPlay", "BOOLEAN", ""), ("playerConfig", "{json}", ""),
    )),
    ("feedbacks", (
        ("id", "{id}", "PRIMARY KEY"), ("forId", "{id}", "NOT NULL"),
        ("threadId", "{id}", 'NOT NULL REFERENCES threads("id") ON DELETE CASCADE'), ("value", "INT", "NOT NULL"),
        ("comment", "TEXT", ""),
    )),
)
INDEXES = (("threads", "userId"), ("steps", "threadId"), ("elements", "threadId"), ("feedbacks", "forId"))
# The key of the advisory lock every replica takes while it makes the schema: any fixed number.
SCHEMA_LOCK = 7_031_953_322


class UnsupportedDatabase(ValueError):
    """A database Herald has no schema for."""


def statements(dialect: str) -> list[str]:
    """The DDL for `dialect` ("postgresql" or "sqlite"), in order."""
    if dialect not in TYPES:
        raise UnsupportedDatabase(f"Herald makes the history schema on Postgres and SQLite, not on {dialect}")
    types = TYPES[dialect]
    made = []
    for table, columns in TABLES:
        body = ",\n    ".join(f'"{name}" {kind.format(**types)} {constraint}'.rstrip()
                               for name, kind, constraint in columns)
        made.append(f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n)")
    made += [f'CREATE INDEX IF NOT EXISTS {table}_{column}_idx ON {table} ("{column}")' for table, column in INDEXES]
    return made


async def create_schema(engine: AsyncEngine) -> None:
    """Make the tables and indexes that are missing, in one transaction; those that exist are left as they are."""
    dialect = engine.dialect.name
    ddl = statements(dialect)
    async with engine.begin() as connection:
        if dialect == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        else:
            # Readers do not wait for a writer in WAL mode; the mode stays with the file.
            await connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        for statement in ddl:
            await connection.exec_driver_sql(statement)
