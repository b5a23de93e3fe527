"""The connection every storage function takes, whichever database holds the store: a SQLite
file (the default) or a PostgreSQL database (`[storage] url`).

Storage functions are plain synchronous functions of a `Db` (run off the event loop by
`Store` and `ChatStore`), written once in SQL both engines speak: `?` placeholders,
`INSERT … ON CONFLICT`, `RETURNING`, and a `rowid` column (SQLite's own; an identity column
of the same name in the PostgreSQL schema).  What differs is here and in `pg.py`: opening,
transactions, bulk inserts, locks between processes, and what a refusal means.  Nothing here
imports the PostgreSQL driver: `access.open_db` imports `pg.py` only when a URL is configured.
"""

from __future__ import annotations

import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

Dialect = Literal["sqlite", "postgresql"]
URL_SCHEMES: Final = ("postgresql://", "postgres://")


class StoreError(Exception):
    """The store cannot be opened or created: not SQLite, corrupt, no permission, or a
    database that cannot be reached."""


# Why a write failed, in words, by reason.
WRITE_FAILURES: Final[dict[str, str]] = {
    "full": "the disk is full",
    "readonly": "it is read-only to this user",
    "locked": "another process holds it locked",
    "ioerror": "the disk reported an error",
    "unreachable": "the database cannot be reached",
}


class StoreWriteError(StoreError):
    """A change could not be written to the store (the disk is full, the store is read-only
    to this user, another process holds it locked, the disk reported an error, or the
    database cannot be reached); the database rolls the change back, so what the store held
    before is intact."""

    def __init__(self, where: str, code: str, detail: str, engine: str = "SQLite") -> None:
        self.where = where
        self.engine = engine
        self.code = code  # a key of WRITE_FAILURES
        self.detail = detail  # the database's own words
        if code == "unreachable":  # nothing need have been written: the server is away
            super().__init__(f"the store at {where} cannot be reached ({engine}: {detail})")
        else:
            super().__init__(f"cannot write to the store at {where}: {WRITE_FAILURES[code]} "
                             f"({engine}: {detail})")


@dataclass(frozen=True)
class Location:
    """Where the store is: a SQLite file, or a PostgreSQL database by URL (`password` given
    apart when the URL has none: it never shows in a repr or a message)."""

    path: Path | None = None
    url: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)

    @property
    def dialect(self) -> Dialect:
        return "postgresql" if self.url else "sqlite"

    def __str__(self) -> str:
        """The store as messages name it: the file, or the URL without any password."""
        if self.url is None:
            return str(self.path)
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")
        user = host[0].partition(":")[0]
        netloc = f"{user}@{host[2]}" if host[1] else host[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def as_location(where: Location | Path | str) -> Location:
    """A Location from a path, a `postgresql://` URL, or a Location."""
    if isinstance(where, Location):
        return where
    if isinstance(where, str) and where.startswith(URL_SCHEMES):
        return Location(url=where)
    return Location(path=Path(where))


class Cursor(Protocol):
    """What a statement returns on either backend (a DB-API cursor)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(ABC):
    """One open connection to the store; see the module docstring."""

    dialect: ClassVar[Dialect]
    engine: ClassVar[str]

    def __init__(self, location: Location) -> None:
        self.location = location

    @property
    def where(self) -> str:
        return str(self.location)

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> None:
        """Insert many rows at once (SQLite: executemany; PostgreSQL: COPY)."""
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction: all of it or none of it."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads that see one committed state of the store, whatever commits meanwhile."""

    @abstractmethod
    def lock(self, name: str, key: int = 0) -> None:
        """Inside a transaction: wait for any other transaction holding the same lock, until
        this one ends."""

    @abstractmethod
    def notify(self, channel: str) -> None:
        """Inside a transaction: tell the processes listening on `channel` once it commits
        (PostgreSQL's NOTIFY; SQLite has no such thing: its watchers poll)."""

    @abstractmethod
    def reader(self, *, existing: bool = False) -> Db | None:
        """A new read-only connection to the same store, for the caller to keep (None: an
        in-memory database has no other connection).  `existing`: a SQLite file that is
        gone (replaced under a running view) raises rather than being made anew."""

    @abstractmethod
    def tables(self) -> set[str]:
        """The names of the store's tables."""

    @abstractmethod
    def write_failure(self, exc: BaseException) -> StoreWriteError | None:
        """The StoreWriteError a database error stands for, or None if it is not one."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


# -- SQLite ---------------------------------------------------------------------------------


# SQLite's primary result codes that mean a write could not be made.
_SQLITE_FAILURES: Final[dict[int, str]] = {
    sqlite3.SQLITE_FULL: "full",
    sqlite3.SQLITE_READONLY: "readonly",
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_IOERR: "ioerror",
}


def sqlite_failure(exc: BaseException, where: str) -> StoreWriteError | None:
    """The StoreWriteError an SQLite error stands for, or None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.OperationalError) or not isinstance(code, int):
        return None
    reason = _SQLITE_FAILURES.get(code & 0xFF)
    return StoreWriteError(where, reason, str(exc)) if reason else None


class SqliteDb(Db):
    """A connection to the store's SQLite file (WAL)."""

    dialect = "sqlite"
    engine = "SQLite"

    def __init__(self, raw: sqlite3.Connection, location: Location) -> None:
        super().__init__(location)
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.raw.rollback()
            raise
        self.raw.commit()

    def lock(self, name: str, key: int = 0) -> None:
        """Nothing to do: a write transaction (BEGIN IMMEDIATE) holds the whole file."""

    def notify(self, channel: str) -> None:
        """Nothing to send: SQLite's watchers read the data serial."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.raw.in_transaction:  # already inside one: it is the snapshot
            yield
            return
        self.raw.execute("BEGIN")
        try:
            yield
        finally:
            self.raw.rollback()

    def reader(self, *, existing: bool = False) -> Db | None:
        row = self.raw.execute("PRAGMA database_list").fetchone()
        path = str(row[2]) if row else ""
        if not path:
            return None
        if existing:
            raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            raw = sqlite3.connect(path, check_same_thread=False)
        raw.execute("PRAGMA query_only=1")
        return SqliteDb(raw, self.location)

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.raw.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}

    def write_failure(self, exc: BaseException) -> StoreWriteError | None:
        return sqlite_failure(exc, self.where)

    def commit(self) -> None:
        self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def _create_owner_only(path: Path) -> None:
    """Create the store's folder (0700) and an empty file (0600) if they are missing: the store
    holds chat ids, so it is the user's alone whatever the umask. SQLite makes the -wal and
    -shm files with the database file's permissions. An existing file or folder is left as
    it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def open_sqlite(location: Location) -> SqliteDb:
    """A new connection to the store's SQLite file (created, owner only, if missing)."""
    assert location.path is not None
    path = location.path
    if str(path) != ":memory:":
        _create_owner_only(path)
    raw = sqlite3.connect(path, timeout=30, check_same_thread=False)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    return SqliteDb(raw, location)
