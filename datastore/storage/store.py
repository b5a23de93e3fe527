"""The SQLite store: opening and migrating it, versioned loads, and which versions are current.

Bulk work (a load of 180,000 postcodes, building the in-memory view) runs in plain synchronous
functions that take a `sqlite3.Connection`; `Store` runs them off the event loop.  Small
interactive queries go through one aiosqlite connection owned by `Store`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import aiosqlite

from datastore.storage import blobs
from datastore.storage.kinds import COLUMNS, KINDS, Kind, Loaded
from datastore.storage.schema import (
    CHAT_TABLES,
    FIRST_MIGRATABLE,
    MIGRATIONS,
    POSTCODE_INDEXES,
    SCHEMA,
    SCHEMA_VERSION,
    Migration,
)

if TYPE_CHECKING:  # frames come from the loaders; reading the store never needs pandas
    import pandas as pd

T = TypeVar("T")


class StoreError(Exception):
    """The store file cannot be opened or created: not SQLite, corrupt, or no permission."""


class StoreWriteError(StoreError):
    """A change could not be written to the store (the disk is full, the file is read-only to
    this user, another process holds it locked, or the disk reported an error); SQLite rolls
    the change back, so what the store held before is intact."""

    def __init__(self, path: Path, code: int, detail: str) -> None:
        self.path = path
        self.code = code  # SQLite's primary result code, a key of WRITE_FAILURES
        self.detail = detail  # SQLite's own words
        super().__init__(f"cannot write to the store at {path}: {WRITE_FAILURES[code]} "
                         f"(SQLite: {detail})")


# SQLite's primary result codes that mean a write could not be made, in words.
WRITE_FAILURES: Final[dict[int, str]] = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "it is read-only to this user",
    sqlite3.SQLITE_BUSY: "another process holds it locked",
    sqlite3.SQLITE_LOCKED: "another process holds it locked",
    sqlite3.SQLITE_IOERR: "the disk reported an error",
}


def write_failure(exc: BaseException, path: Path | str) -> StoreWriteError | None:
    """The StoreWriteError an SQLite error stands for, or None if it is not a write failure."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.OperationalError) or not isinstance(code, int):
        return None
    primary = code & 0xFF
    return StoreWriteError(Path(path), primary, str(exc)) if primary in WRITE_FAILURES else None


class RefusedUnlessForced(Exception):
    """A load that looks wrong against the current data; `--force` loads it anyway."""


class StaleDataError(RefusedUnlessForced):
    """A file's latest month is older than the data already current (load with force to allow)."""


class ShrunkDataError(RefusedUnlessForced):
    """A new version holds far less than the current one: an area missing, or a fraction of
    its rows (a truncated, filtered or broken extract)."""


# A new version holding fewer rows than this share of the current one's is refused.
MIN_ROW_SHARE: Final = 0.5


@dataclass(frozen=True)
class SourceFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class Version:
    """One load of one kind of dataset."""

    id: int
    kind: str
    status: str
    first_month: int | None
    last_month: int | None
    rows: int
    sources: tuple[SourceFile, ...]
    loaded_at: str


@dataclass(frozen=True)
class LoadInput:
    """What a load writes for one kind: the validated data and the files it came from."""

    data: Loaded
    sources: tuple[SourceFile, ...]


def _create_owner_only(path: Path) -> None:
    """Create the store's folder (0700) and an empty file (0600) if they are missing: the store
    holds chat ids, so it is the user's alone whatever the umask. SQLite makes the -wal and
    -shm files with the database file's permissions. An existing file or folder is left as
    it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating or migrating as needed) the store at `path` and return a connection."""
    if str(path) != ":memory:":
        _create_owner_only(Path(path))
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    _migrate(conn)
    return conn


class SchemaError(Exception):
    """The store was written by a newer WardWatch, whose layout this one cannot read."""


def _schema_version(conn: sqlite3.Connection) -> tuple[bool, int | None]:
    """Whether the file has a meta table, and the schema version it records."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    if not has_meta:
        return False, None
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return True, int(row[0]) if row else None


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, one by one (so they can run inside one transaction:
    `executescript` would commit first)."""
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n;"):
                yield buffer
            buffer = ""


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION: create it, migrate it step by step keeping its data,
    or (older than any migration: data that is all re-loadable) rebuild it."""
    if _schema_version(conn)[1] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        has_meta, found = _schema_version(conn)  # again, now that we hold the write lock
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaError(
                f"the store has schema version {found}, newer than this WardWatch's "
                f"({SCHEMA_VERSION}); upgrade WardWatch or point [storage] path elsewhere")
        steps: list[Migration]
        if found == SCHEMA_VERSION:
            steps = []
        elif found is not None and found >= FIRST_MIGRATABLE:
            steps = [MIGRATIONS[v] for v in range(found + 1, SCHEMA_VERSION + 1)]
        else:
            steps = [SCHEMA]
            if has_meta:
                # Older than any migration: it held only data re-loadable from its sources.
                tables = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%'")]
                for table in tables:
                    conn.execute(f'DROP TABLE "{table}"')
        for step in steps:
            if callable(step):
                step(conn)
                continue
            for statement in _statements(step):
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _version(row: tuple[object, ...]) -> Version:
    vid, kind, status, first, last, rows, sources, loaded_at = row
    return Version(
        id=int(vid),  # type: ignore[call-overload]
        kind=str(kind),
        status=str(status),
        first_month=int(first) if first is not None else None,  # type: ignore[call-overload]
        last_month=int(last) if last is not None else None,  # type: ignore[call-overload]
        rows=int(rows),  # type: ignore[call-overload]
        sources=tuple(SourceFile(s["name"], s["sha256"]) for s in json.loads(str(sources))),
        loaded_at=str(loaded_at),
    )


_VERSION_COLUMNS = "id, kind, status, first_month, last_month, rows, sources, loaded_at"


def versions(conn: sqlite3.Connection, status: str = "current") -> dict[str, Version]:
    """Return the versions with the given status, by kind."""
    rows = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM dataset_version WHERE status = ?", (status,)
    ).fetchall()
    return {v.kind: v for v in map(_version, rows)}


def _records(frame: pd.DataFrame, kind: Kind, version_id: int) -> Iterator[tuple[object, ...]]:
    # Column by column (a row at a time through pandas costs three times as much): tolist()
    # gives Python scalars, and a column with missing values goes through object dtype so
    # that <NA> and NaN become None, which sqlite3 takes.
    values = []
    for column in COLUMNS[kind]:
        series = frame[column]
        if series.hasnans:
            series = series.astype(object)
            series = series.where(series.notna(), None)
        values.append(series.tolist())
    return zip(itertools.repeat(version_id), *values)


# Kinds stored as a matrix only (blobs.py), with no rows.
MATRIX_KINDS: Final = frozenset({"ward_crime", "borough_crime"})


def _insert(conn: sqlite3.Connection, kind: Kind, frame: pd.DataFrame, version_id: int) -> None:
    if kind in MATRIX_KINDS:
        frame = frame.sort_values(blobs.sort_columns(kind), kind="stable")
        blobs.write(conn, version_id, blobs.crime_blobs(kind, frame))
        return
    columns = COLUMNS[kind]
    marks = ", ".join("?" * (len(columns) + 1))
    index_after = kind == "postcodes" and conn.execute(
        "SELECT 1 FROM postcodes LIMIT 1").fetchone() is None
    if index_after:
        for name in POSTCODE_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.executemany(
        f"INSERT INTO {kind} (version_id, {', '.join(columns)}) VALUES ({marks})",
        _records(frame, kind, version_id),
    )
    if index_after:
        for create in POSTCODE_INDEXES.values():
            conn.execute(create)
    if kind == "postcodes":
        blobs.write(conn, version_id, blobs.postcode_blobs(conn, version_id))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on a plain connection: all of it or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def write_versions(
    conn: sqlite3.Connection,
    loads: Mapping[Kind, LoadInput] | Iterable[tuple[Kind, LoadInput]],
    *,
    force: bool = False,
    now: datetime | None = None,
    after_insert: Callable[[Kind], None] | None = None,
) -> list[Version]:
    """Write each kind as a new version and make them all current in one transaction.

    A file whose latest month is older than the current version's is refused with
    StaleDataError unless `force`.  The version that was current is kept as `previous`; the one
    before it is pruned.  On any error nothing changes.  `after_insert` is a hook called after
    each kind's rows are written (tests use it to kill the process mid-load).  `loads` may
    also be an iterator of (kind, input), consumed as it goes (a first build writes one kind
    while the next is read); each kind is then checked against its current version just
    before it is written, in the same transaction, so a refusal still changes nothing.
    """
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    current = versions(conn)
    given = isinstance(loads, Mapping)
    items = loads.items() if isinstance(loads, Mapping) else loads
    if not force and isinstance(loads, Mapping):
        for kind, item in loads.items():
            old = current.get(kind)
            if old is not None:
                _check_against(conn, kind, item, old)
    new_ids: dict[Kind, int] = {}
    with transaction(conn):
        for kind, item in items:
            if not given and not force and kind in current:
                _check_against(conn, kind, item, current[kind])
            sources = json.dumps([{"name": s.name, "sha256": s.sha256} for s in item.sources])
            cur = conn.execute(
                "INSERT INTO dataset_version (kind, status, first_month, last_month, rows, "
                "sources, loaded_at) VALUES (?, 'loading', ?, ?, ?, ?, ?)",
                (kind, item.data.first_month, item.data.last_month, len(item.data.frame),
                 sources, stamp),
            )
            assert cur.lastrowid is not None
            new_ids[kind] = cur.lastrowid
            _insert(conn, kind, item.data.frame, cur.lastrowid)
            if after_insert:
                after_insert(kind)
        for kind, vid in new_ids.items():
            _prune(conn, kind)
            conn.execute(
                "UPDATE dataset_version SET status='previous' WHERE kind=? AND status='current'",
                (kind,),
            )
            conn.execute("UPDATE dataset_version SET status='current' WHERE id=?", (vid,))
    done = versions(conn)
    return [done[k] for k in new_ids]


def _areas(conn: sqlite3.Connection, kind: Kind, version_id: int) -> set[str]:
    """The areas a crime version covers: every ward, or every London borough (the borough
    extract's Unknown and airport rows are in none, and the Met dropped the airports)."""
    areas = {area[0] for area in blobs.stored_matrix(conn, version_id).areas}
    if kind == "ward_crime":
        return areas
    return areas & {r[0] for r in conn.execute("SELECT lad_name FROM borough_population")}


def _check_against(conn: sqlite3.Connection, kind: Kind, item: LoadInput, old: Version) -> None:
    """Refuse a version that is older than, or far smaller than, the current one."""
    names = ", ".join(s.name for s in item.sources)
    last = item.data.last_month
    if old.last_month and last and last < old.last_month:
        raise StaleDataError(
            f"{names}: its latest month {last // 100}-{last % 100:02d} is older than the "
            f"current {kind} data ({old.last_month // 100}-{old.last_month % 100:02d}); "
            "use --force to load it anyway"
        )
    if kind in ("ward_crime", "borough_crime"):
        column = "ward_code" if kind == "ward_crime" else "borough_name"
        missing = sorted(_areas(conn, kind, old.id) - set(item.data.frame[column]))
        if missing:
            what = "ward" if kind == "ward_crime" else "borough"
            shown = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
            raise ShrunkDataError(
                f"{names}: it lacks {len(missing)} {what}{'s' if len(missing) > 1 else ''} of "
                f"the current data: {shown}; every {what} the Met publishes should be there. "
                "Use --force to load it anyway")
    rows = len(item.data.frame)
    if rows < MIN_ROW_SHARE * old.rows:
        raise ShrunkDataError(
            f"{names}: it holds {rows:,} rows, under half the current {kind} data's "
            f"{old.rows:,}: a truncated or partial file? Use --force to load it anyway")


def _prune(conn: sqlite3.Connection, kind: str) -> None:
    """Delete the kind's `previous` version, about to be replaced by the current one."""
    for (vid,) in conn.execute(
        "SELECT id FROM dataset_version WHERE kind=? AND status='previous'",
        (kind,),
    ).fetchall():
        if kind not in MATRIX_KINDS:
            conn.execute(f"DELETE FROM {kind} WHERE version_id=?", (vid,))
        conn.execute("DELETE FROM version_blob WHERE version_id=?", (vid,))
        conn.execute("DELETE FROM dataset_version WHERE id=?", (vid,))


def known_wards(conn: sqlite3.Connection) -> set[str] | None:
    """The ward codes a ward file is checked against: those of the current postcodes, ward
    residents and ward crime (None before the store holds any)."""
    current = versions(conn)
    codes: set[str] = set()
    for kind in ("postcodes", "ward_population"):
        if kind in current:
            codes |= {r[0] for r in conn.execute(
                f"SELECT DISTINCT ward_code FROM {kind} WHERE version_id=?",
                (current[kind].id,))}
    if "ward_crime" in current:
        codes |= _areas(conn, "ward_crime", current["ward_crime"].id)
    return codes or None


def is_empty(conn: sqlite3.Connection) -> bool:
    """True when no kind has a current version."""
    row = conn.execute("SELECT COUNT(*) FROM dataset_version WHERE status='current'").fetchone()
    return bool(row[0] == 0)


def missing_kinds(conn: sqlite3.Connection) -> list[str]:
    """The kinds of dataset that have no current version."""
    have = versions(conn)
    return [k for k in KINDS if k not in have]


def forget_chat(conn: sqlite3.Connection, chat_id: int) -> dict[str, int]:
    """Delete every row stored about a chat; return how many went from each table."""
    erased: dict[str, int] = {}
    with transaction(conn):
        for table, column in CHAT_TABLES:
            cur = conn.execute(f"DELETE FROM {table} WHERE {column}=?", (chat_id,))
            if cur.rowcount:
                erased[table] = cur.rowcount
    return erased


class Store:
    """The async face of the store: one aiosqlite connection, bulk work in worker threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Create or migrate the file, then open the shared connection."""
        try:
            await asyncio.to_thread(lambda: connect(self.path).close())
            self._db = await aiosqlite.connect(self.path)
            await self._db.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise (write_failure(exc, self.path)
                   or StoreError(f"cannot use the store at {self.path}: {exc}")) from exc

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _run(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        def job() -> T:
            try:
                conn = connect(self.path)
                try:
                    return fn(conn)
                finally:
                    conn.close()
            except sqlite3.OperationalError as exc:
                failure = write_failure(exc, self.path)
                if failure is None:
                    raise
                raise failure from exc

        return asyncio.ensure_future(asyncio.to_thread(job))

    async def versions(self, status: str = "current") -> dict[str, Version]:
        return await self._run(lambda c: versions(c, status))

    async def write(self, loads: Mapping[Kind, LoadInput] | Iterable[tuple[Kind, LoadInput]], *,
                    force: bool = False) -> list[Version]:
        """Write new versions of the given kinds (see write_versions) off the event loop."""
        async with self._write_lock:
            return await self._run(lambda c: write_versions(c, loads, force=force))

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a synchronous function on its own connection in a worker thread."""
        return await self._run(fn)
