"""The PostgreSQL backend (`[storage] url`): psycopg 3 connections that run the storage
functions' SQL, a connection pool per process, and what PostgreSQL's refusals mean.

Imported only when a URL is configured, so a SQLite store never loads the driver.  The
password comes from the Location (the URL, or WARDWATCH_DB_PASSWORD) and goes to libpq
only: it is in no message, no repr and no log record.

Every connection is in autocommit; `transaction()` opens a real one.  TCP keepalives on both
ends (libpq's and the server's) notice a peer that vanished without closing its socket (a
machine that lost power) within about half a minute, so its session, and any lock it held,
goes.  A process killed outright closes its socket at once.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import psycopg
import psycopg_pool
from psycopg import pq

from datastore.storage.db import Cursor, Db, Location, StoreWriteError

ERRORS: Final[tuple[type[BaseException], ...]] = (psycopg.Error,)

# libpq's and the server's keepalives, in seconds: idle, interval, count.
_KEEPALIVE: Final = (10, 5, 3)
CONNECT_TIMEOUT: Final = 10

# SQLSTATEs that mean a write could not be made, by reason (WRITE_FAILURES).
_STATES: Final[dict[str, str]] = {
    "53100": "full",  # disk_full
    "25006": "readonly",  # read_only_sql_transaction
    "42501": "readonly",  # insufficient_privilege
    "55P03": "locked",  # lock_not_available
    "40P01": "locked",  # deadlock_detected
    "40001": "locked",  # serialization_failure
}


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """The storage functions' SQL in psycopg's terms: `?` placeholders become `%s` and a
    literal `%` becomes `%%` (inside quotes only the latter)."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if ch == "%":
            out.append("%%")
        elif quote:
            out.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append("%s" if ch == "?" else ch)
    return "".join(out)


def pg_failure(exc: BaseException, where: str) -> StoreWriteError | None:
    """The StoreWriteError a psycopg error stands for, or None."""
    if not isinstance(exc, psycopg.Error):
        return None
    state = exc.sqlstate or ""
    reason = _STATES.get(state)
    if reason is None and state.startswith("58"):  # system_error, io_error
        reason = "ioerror"
    if reason is None and (state.startswith(("08", "57P")) or (
            isinstance(exc, psycopg.OperationalError) and not state)):
        reason = "unreachable"  # no connection, the server shutting down, a pool timeout
    if reason is None:
        return None
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StoreWriteError(where, reason, detail, "PostgreSQL")


def connect_kwargs(location: Location, *, read_only: bool = False) -> dict[str, Any]:
    """psycopg.connect's arguments beside the URL."""
    idle, interval, count = _KEEPALIVE
    options = (f"-c tcp_keepalives_idle={idle} -c tcp_keepalives_interval={interval} "
               f"-c tcp_keepalives_count={count}")
    if read_only:
        options += " -c default_transaction_read_only=on"
    kwargs: dict[str, Any] = {
        "autocommit": True, "connect_timeout": CONNECT_TIMEOUT, "application_name": "wardwatch",
        "keepalives": 1, "keepalives_idle": idle, "keepalives_interval": interval,
        "keepalives_count": count, "options": options,
    }
    if location.password:
        kwargs["password"] = location.password
    return kwargs


class PgDb(Db):
    """A connection to the store's PostgreSQL database."""

    dialect = "postgresql"
    engine = "PostgreSQL"

    def __init__(self, raw: psycopg.Connection[Any], location: Location, *,
                 owned: bool = True, read_only: bool = False) -> None:
        super().__init__(location)
        self.raw = raw
        self._owned = owned  # closed by close(); a pool's connection goes back to it
        # A read-only connection kept by a view (its postcode look-ups): one the server
        # dropped (a restart, a fail-over) is opened again, once, rather than failing every
        # look-up until the next load.
        self._read_only = read_only

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        query, args = translate(sql), tuple(params)
        try:
            return self.raw.execute(query, args)  # type: ignore[arg-type]
        except psycopg.OperationalError:
            if not (self._read_only and self.raw.closed):
                raise
        self.raw = psycopg.connect(self.location.url or "",
                                   **connect_kwargs(self.location, read_only=True))
        return self.raw.execute(query, args)  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(translate(sql), rows)  # type: ignore[arg-type]

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> None:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.raw.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[arg-type]
            for row in rows:
                copy.write_row(row)
        # The planner's statistics for the new rows now, not whenever autovacuum comes by:
        # a postcode look-up planned on an "empty" table's statistics can scan it all.
        self.raw.execute(f"ANALYZE {table}")  # type: ignore[arg-type]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.raw.transaction():
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.raw.info.transaction_status != pq.TransactionStatus.IDLE:
            yield  # already inside a transaction: it is the snapshot
            return
        with self.raw.transaction():
            self.raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def lock(self, name: str, key: int = 0) -> None:
        self.raw.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s::int4)",
                         (name, key % 2**31))

    def notify(self, channel: str) -> None:
        self.raw.execute("SELECT pg_notify(%s, '')", (channel,))

    def reader(self, *, existing: bool = False) -> Db | None:
        return open_pg(self.location, read_only=True)

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.raw.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}

    def write_failure(self, exc: BaseException) -> StoreWriteError | None:
        return pg_failure(exc, self.where)

    def commit(self) -> None:
        self.raw.commit()

    def close(self) -> None:
        if self._owned:
            self.raw.close()


def open_pg(location: Location, *, read_only: bool = False) -> PgDb:
    """A new connection of its own to the store's database."""
    assert location.url is not None
    raw = psycopg.connect(location.url, **connect_kwargs(location, read_only=read_only))
    return PgDb(raw, location, read_only=read_only)


def open_pool(location: Location, max_size: int) -> psycopg_pool.ConnectionPool[Any]:
    """A pool of connections for one process (each checked before it is handed out, so a
    restarted server costs one failed check, not a failed call)."""
    assert location.url is not None
    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
        location.url, kwargs=connect_kwargs(location), min_size=1, max_size=max_size,
        open=False, check=psycopg_pool.ConnectionPool.check_connection, name="wardwatch",
        timeout=CONNECT_TIMEOUT, reconnect_timeout=60)
    pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    return pool


@contextmanager
def pooled(pool: psycopg_pool.ConnectionPool[Any], location: Location) -> Iterator[PgDb]:
    """A connection from the pool for the life of the block."""
    with pool.connection() as raw:
        yield PgDb(raw, location, owned=False)


# -- notifications (watch.py) --------------------------------------------------------------


async def listen(location: Location, channel: str) -> psycopg.AsyncConnection[Any]:
    """A connection of its own, listening on `channel`."""
    assert location.url is not None
    conn = await psycopg.AsyncConnection.connect(location.url, **connect_kwargs(location))
    await conn.execute(f"LISTEN {channel}")  # type: ignore[arg-type]
    return conn


async def read_serial(conn: psycopg.AsyncConnection[Any], key: str) -> int:
    cur = await conn.execute("SELECT value FROM meta WHERE key = %s", (key,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def next_notification(conn: psycopg.AsyncConnection[Any], seconds: float) -> bool:
    """Wait for one notification (True) or `seconds` (False); raises if the connection is
    lost."""
    async for _ in conn.notifies(timeout=seconds, stop_after=1):
        return True
    return False


# -- the leader lease (lease.py) -----------------------------------------------------------


class PgLease:
    """The leader lease as a session-level advisory lock on a connection of its own, and its
    token in `meta` (lease.py)."""

    def __init__(self, location: Location, holder: str, lock: str, key: str,
                 retry: float) -> None:
        self.location = location
        self.holder = holder
        self.retry = retry
        self.token: str | None = None
        self._lock = lock
        self._key = key
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            assert self.location.url is not None
            self._conn = await psycopg.AsyncConnection.connect(
                self.location.url, **connect_kwargs(self.location))
        return self._conn

    async def _drop(self) -> None:
        """Forget the connection (closing it frees the lock, if the server still held it)."""
        conn, self._conn, self.token = self._conn, None, None
        if conn is not None:
            await conn.close()

    async def acquire(self) -> bool:
        if self.token is not None:  # held already (the lock is re-entrant: never take it twice)
            return await self.renew()
        try:
            conn = await self._connection()
            cur = await conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (self._lock,))
            row = await cur.fetchone()
            if not row or not row[0]:
                return False
            async with conn.transaction():
                cur = await conn.execute("SELECT value FROM meta WHERE key = %s FOR UPDATE",
                                         (self._key,))
                old = await cur.fetchone()
                epoch = int(str(old[0]).split(" ", 1)[0]) + 1 if old else 1
                token = f"{epoch} {self.holder}"
                await conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT "
                                   "(key) DO UPDATE SET value = excluded.value",
                                   (self._key, token))
            self.token = token
            return True
        except psycopg.Error:
            await self._drop()
            return False

    async def renew(self) -> bool:
        if self.token is None or self._conn is None:
            return False
        try:
            cur = await self._conn.execute("SELECT value FROM meta WHERE key = %s",
                                           (self._key,))
            row = await cur.fetchone()
            held = row is not None and row[0] == self.token
        except psycopg.Error:
            held = False
        if not held:
            await self._drop()
        return held

    async def release(self) -> None:
        if self.token is not None and self._conn is not None:
            with contextlib.suppress(psycopg.Error):  # gone: the lock went with the session
                await self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))",
                                         (self._lock,))
        self.token = None

    async def close(self) -> None:
        await self._drop()
