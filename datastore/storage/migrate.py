"""Bringing a store to the current schema version, on either backend, in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from datastore.storage import pg_schema, schema
from datastore.storage.db import Db
from datastore.storage.schema import SCHEMA_VERSION, Migration


class SchemaError(Exception):
    """The store was written by a newer WardWatch, whose layout this one cannot read."""


def schema_version(db: Db) -> tuple[bool, int | None]:
    """Whether the store has a meta table, and the schema version it records."""
    if "meta" not in db.tables():
        return False, None
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return True, int(row[0]) if row else None


def _statements(script: str, db: Db) -> Iterator[str]:
    """The SQL statements of a script, one by one (so they run inside one transaction)."""
    if db.dialect == "postgresql":  # its scripts here have no ';' inside a statement
        yield from (s.strip() for s in script.split(";") if s.strip())
        return
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                yield buffer
            buffer = ""


def _steps(db: Db, has_meta: bool, found: int | None) -> list[Migration]:
    """What turns a store of version `found` (None: a new one) into SCHEMA_VERSION."""
    if db.dialect == "postgresql":
        base = pg_schema.PG_BASE
        if found is None:
            return [pg_schema.PG_SCHEMA, *(pg_schema.PG_MIGRATIONS[v]
                                           for v in range(base + 1, SCHEMA_VERSION + 1))]
        if found < base:  # no WardWatch made a PostgreSQL store older than PG_BASE
            raise SchemaError(f"the database holds schema version {found}, older than any "
                              f"PostgreSQL store of WardWatch ({base})")
        return [pg_schema.PG_MIGRATIONS[v] for v in range(found + 1, SCHEMA_VERSION + 1)]
    if found is not None and found >= schema.FIRST_MIGRATABLE:
        return [schema.MIGRATIONS[v] for v in range(found + 1, SCHEMA_VERSION + 1)]
    if has_meta:
        # Older than any migration: it held only data re-loadable from its sources.
        for table in db.tables():
            db.execute(f'DROP TABLE "{table}"')
    return [schema.SCHEMA]


def migrate(db: Db) -> None:
    """Bring the store to SCHEMA_VERSION: create it, migrate it step by step keeping its data,
    or (a SQLite file older than any migration: data that is all re-loadable) rebuild it.
    Several processes opening a store at once: one migrates, the others wait and find it
    done.  A store from a newer WardWatch is refused untouched."""
    if schema_version(db)[1] == SCHEMA_VERSION:
        return
    with db.transaction():
        db.lock("schema")
        has_meta, found = schema_version(db)  # again, now that we hold the lock
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaError(
                f"the store has schema version {found}, newer than this WardWatch's "
                f"({SCHEMA_VERSION}); upgrade WardWatch or point [storage] elsewhere")
        if found == SCHEMA_VERSION:
            return
        for step in _steps(db, has_meta, found):
            if callable(step):
                step(db)
                continue
            for statement in _statements(step, db):
                db.execute(statement)
        db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (str(SCHEMA_VERSION),))
