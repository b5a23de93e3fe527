"""How a process reaches the store: `connect` opens one connection (creating or migrating the
store first), and `Connections` hands them out to the async faces (`Store`, `ChatStore`),
which run the storage functions in worker threads.

SQLite: a new connection per call (`Store`), or one kept for the life of a single worker
thread (`ChatStore`).  PostgreSQL: a pool per process, its connections checked before use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from datastore.storage.db import (
    Db,
    Location,
    StoreError,
    StoreWriteError,
    as_location,
    backend_errors,
    open_db,
    sqlite_failure,
)
from datastore.storage.migrate import migrate

P = ParamSpec("P")
T = TypeVar("T")


def connect(where: Location | Path | str) -> Db:
    """Open (creating or migrating as needed) the store and return a connection."""
    db = open_db(as_location(where))
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def write_failure(location: Location, exc: BaseException) -> StoreWriteError | None:
    """The StoreWriteError a database error stands for, or None if it is not one."""
    if location.dialect == "postgresql":
        from datastore.storage import pg

        return pg.pg_failure(exc, str(location))
    return sqlite_failure(exc, str(location))


class Connections:
    """One process's way to the store.  `keep`: hold one SQLite connection for every call
    (the caller makes them from one thread only); else a new one per call."""

    def __init__(self, where: Location | Path | str, *, keep: bool = False,
                 pool_size: int = 4) -> None:
        self.location = as_location(where)
        self._keep = keep
        self._pool_size = pool_size
        self._kept: Db | None = None
        self._pool: Any = None  # psycopg_pool.ConnectionPool, for a PostgreSQL store

    def open(self) -> None:
        """Create or migrate the store, then get ready to hand out connections.  A store that
        cannot be opened raises StoreError (StoreWriteError if it cannot be written)."""
        errors: tuple[type[BaseException], ...] = (OSError, *backend_errors(self.location))
        try:
            db = connect(self.location)
            if self.location.dialect == "postgresql":
                db.close()
                from datastore.storage import pg

                self._pool = pg.open_pool(self.location, self._pool_size)
            elif self._keep:
                self._kept = db
            else:
                db.close()
        except errors as exc:
            self.close()
            raise (write_failure(self.location, exc)
                   or StoreError(f"cannot use the store at {self.location}: {exc}")) from exc

    def close(self) -> None:
        kept, pool = self._kept, self._pool
        self._kept = self._pool = None
        if kept is not None:
            kept.close()
        if pool is not None:
            pool.close()

    @contextmanager
    def connection(self) -> Iterator[Db]:
        """A connection for the life of the block."""
        if self._pool is not None:
            from datastore.storage import pg

            with pg.pooled(self._pool, self.location) as pooled:
                yield pooled
            return
        if self._kept is not None:
            yield self._kept
            return
        db = connect(self.location)
        try:
            yield db
        finally:
            db.close()

    def call(self, fn: Callable[Concatenate[Db, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(connection, *args, **kwargs)`; a change the store cannot write raises
        StoreWriteError, and nothing of it is kept."""
        try:
            with self.connection() as db:
                return fn(db, *args, **kwargs)
        except Exception as exc:
            failure = write_failure(self.location, exc)
            if failure is None:
                raise
            raise failure from exc
