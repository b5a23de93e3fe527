"""How a process reaches the store: `connect` opens one connection (creating or migrating the
store first), and `Connections` hands them out to the async faces (`Store`, and `ChatStore`
here), which run the storage functions in worker threads.

SQLite: a new connection per call (`Store`), or one kept for the life of a single worker
thread (`ChatStore`).  PostgreSQL: a pool per process, its connections checked before use.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from datastore.storage.db import (
    Db,
    Location,
    StoreError,
    StoreWriteError,
    as_location,
    open_sqlite,
    sqlite_failure,
)
from datastore.storage.migrate import migrate

P = ParamSpec("P")
T = TypeVar("T")


def open_db(location: Location) -> Db:
    """A new connection to the store, on the backend its location names."""
    if location.dialect == "postgresql":
        from datastore.storage import pg  # the driver: only when a URL is configured

        return pg.open_pg(location)
    return open_sqlite(location)


def backend_errors(location: Location) -> tuple[type[BaseException], ...]:
    """The exceptions the location's driver raises (to turn into StoreError)."""
    if location.dialect == "postgresql":
        from datastore.storage import pg

        return pg.ERRORS
    return (sqlite3.Error,)


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


class ChatStore:
    """Runs the chat functions (subscriptions.py) in one worker thread, one call at a time,
    each call its own transaction: on one long-lived SQLite connection, or from the
    PostgreSQL pool."""

    def __init__(self, where: Location | Path | str) -> None:
        self.location = as_location(where)
        self._connections = Connections(self.location, keep=True, pool_size=2)
        self._executor: ThreadPoolExecutor | None = None

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wardwatch-chats")
        await asyncio.get_running_loop().run_in_executor(self._executor,
                                                         self._connections.open)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor,
                                                             self._connections.close)
            executor.shutdown(wait=False)

    async def run(self, fn: Callable[Concatenate[Db, P], T],
                  *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(connection, *args, **kwargs)` in the store's thread and return its result.
        A change the store cannot write (disk full, read-only, locked, unreachable) raises
        StoreWriteError; nothing of it is kept."""
        if self._executor is None:
            raise RuntimeError("the chat store is not open")
        call = functools.partial(self._connections.call, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)


class KeptConnection:
    """One connection of a background task's own (the SQLite lease, the replicas' beats),
    opened on first use and kept in a worker thread of its own."""

    def __init__(self, location: Location, name: str) -> None:
        self.location = location
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"wardwatch-{name}")
        self._db: Db | None = None

    async def call(self, fn: Callable[Concatenate[Db, P], T],
                   *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(connection, *args, **kwargs)` in the thread."""
        loop = asyncio.get_running_loop()
        if self._db is None:
            self._db = await loop.run_in_executor(self._pool, connect, self.location)
        return await loop.run_in_executor(
            self._pool, functools.partial(fn, self._db, *args, **kwargs))

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, db.close)
        self._pool.shutdown(wait=False)


@asynccontextmanager
async def open_chat_store(where: Location | Path | str) -> AsyncIterator[ChatStore]:
    """Open the chat store for the life of the block."""
    chats = ChatStore(where)
    await chats.open()
    try:
        yield chats
    finally:
        await chats.close()
