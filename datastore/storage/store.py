"""The store: versioned loads, and which versions are current, on either backend (db.py).

Bulk work (a load of 180,000 postcodes, building the in-memory view) runs in plain synchronous
functions that take a `Db`; `Store` runs them off the event loop, each on a connection of
its own (SQLite) or from the process's pool (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

from datastore.storage import blobs, watch
from datastore.storage.access import Connections, connect, write_failure
from datastore.storage.db import (
    WRITE_FAILURES,
    Db,
    Location,
    StoreError,
    StoreWriteError,
    as_location,
)
from datastore.storage.kinds import COLUMNS, KINDS, Kind, Loaded
from datastore.storage.migrate import SchemaError
from datastore.storage.schema import CHAT_TABLES, POSTCODE_INDEXES

if TYPE_CHECKING:  # frames come from the loaders; reading the store never needs pandas
    import pandas as pd

T = TypeVar("T")

__all__ = [  # what callers reach through this module, wherever it is defined
    "WRITE_FAILURES", "Db", "Location", "SchemaError", "StoreError", "StoreWriteError",
    "as_location", "connect", "write_failure",
]


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


def versions(conn: Db, status: str = "current") -> dict[str, Version]:
    """Return the versions with the given status, by kind."""
    rows = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM dataset_version WHERE status = ?", (status,)
    ).fetchall()
    return {v.kind: v for v in map(_version, rows)}


def _records(frame: pd.DataFrame, kind: Kind, version_id: int) -> Iterator[tuple[object, ...]]:
    # Column by column (a row at a time through pandas costs three times as much): tolist()
    # gives Python scalars, and a column with missing values goes through object dtype so
    # that <NA> and NaN become None (NULL).  Flags are stored as 0 and 1 on both backends.
    values = []
    for column in COLUMNS[kind]:
        series = frame[column]
        if series.dtype == bool:
            series = series.astype("int64")
        if series.hasnans:
            series = series.astype(object)
            series = series.where(series.notna(), None)
        values.append(series.tolist())
    return zip(itertools.repeat(version_id), *values)


# Kinds stored as a matrix only (blobs.py), with no rows.
MATRIX_KINDS: Final = frozenset({"ward_crime", "borough_crime"})


def _insert(conn: Db, kind: Kind, frame: pd.DataFrame, version_id: int) -> None:
    if kind in MATRIX_KINDS:
        frame = frame.sort_values(blobs.sort_columns(kind), kind="stable")
        blobs.write(conn, version_id, blobs.crime_blobs(kind, frame))
        return
    index_after = kind == "postcodes" and conn.execute(
        "SELECT 1 FROM postcodes LIMIT 1").fetchone() is None
    if index_after:
        for name in POSTCODE_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.insert_rows(kind, ("version_id", *COLUMNS[kind]), _records(frame, kind, version_id))
    if index_after:
        for create in POSTCODE_INDEXES.values():
            conn.execute(create)
    if kind == "postcodes":
        blobs.write(conn, version_id, blobs.postcode_blobs(conn, version_id))


def transaction(conn: Db) -> AbstractContextManager[None]:
    """One write transaction on a connection: all of it or none of it."""
    return conn.transaction()


def write_versions(
    conn: Db,
    loads: Mapping[Kind, LoadInput] | Iterable[tuple[Kind, LoadInput]],
    *,
    force: bool = False,
    now: datetime | None = None,
    after_insert: Callable[[Kind], None] | None = None,
    missing_only: bool = False,
) -> list[Version]:
    """Write each kind as a new version and make them all current in one transaction.

    A file whose latest month is older than the current version's is refused with
    StaleDataError unless `force`.  The version that was current is kept as `previous`; the one
    before it is pruned.  On any error nothing changes.  `after_insert` is a hook called after
    each kind's rows are written (tests use it to kill the process mid-load).  `loads` may
    also be an iterator of (kind, input), consumed as it goes (a first build writes one kind
    while the next is read); each kind is then checked against its current version just
    before it is written, in the same transaction, so a refusal still changes nothing.
    `missing_only`: a kind that has a current version by the time this load holds the lock
    is left as it is (several processes building an empty store at once build it once).
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
        conn.lock("load")  # one load at a time, whichever process makes it
        now_current = versions(conn)
        if not force and given and _ids(now_current) != _ids(current):
            # Another process loaded meanwhile: check against what is current now.
            for kind, item in items:
                if kind in now_current:
                    _check_against(conn, kind, item, now_current[kind])
        current = now_current
        for kind, item in items:
            if missing_only and kind in current:
                continue
            if not given and not force and kind in current:
                _check_against(conn, kind, item, current[kind])
            sources = json.dumps([{"name": s.name, "sha256": s.sha256} for s in item.sources])
            (vid,) = conn.execute(
                "INSERT INTO dataset_version (kind, status, first_month, last_month, rows, "
                "sources, loaded_at) VALUES (?, 'loading', ?, ?, ?, ?, ?) RETURNING id",
                (kind, item.data.first_month, item.data.last_month, len(item.data.frame),
                 sources, stamp),
            ).fetchone()
            new_ids[kind] = int(vid)
            _insert(conn, kind, item.data.frame, int(vid))
            if after_insert:
                after_insert(kind)
        for kind, vid in new_ids.items():
            _prune(conn, kind)
            conn.execute(
                "UPDATE dataset_version SET status='previous' WHERE kind=? AND status='current'",
                (kind,),
            )
            conn.execute("UPDATE dataset_version SET status='current' WHERE id=?", (vid,))
        if new_ids:
            watch.announce(conn)  # every process swaps its view once this commits
    done = versions(conn)
    return [done[k] for k in new_ids]


def _ids(found: Mapping[str, Version]) -> dict[str, int]:
    return {kind: v.id for kind, v in found.items()}


def _areas(conn: Db, kind: Kind, version_id: int) -> set[str]:
    """The areas a crime version covers: every ward, or every London borough (the borough
    extract's Unknown and airport rows are in none, and the Met dropped the airports)."""
    areas = {area[0] for area in blobs.stored_matrix(conn, version_id).areas}
    if kind == "ward_crime":
        return areas
    return areas & {r[0] for r in conn.execute("SELECT lad_name FROM borough_population")}


def _check_against(conn: Db, kind: Kind, item: LoadInput, old: Version) -> None:
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


def _prune(conn: Db, kind: str) -> None:
    """Delete the kind's `previous` version, about to be replaced by the current one."""
    for (vid,) in conn.execute(
        "SELECT id FROM dataset_version WHERE kind=? AND status='previous'",
        (kind,),
    ).fetchall():
        if kind not in MATRIX_KINDS:
            conn.execute(f"DELETE FROM {kind} WHERE version_id=?", (vid,))
        conn.execute("DELETE FROM version_blob WHERE version_id=?", (vid,))
        conn.execute("DELETE FROM dataset_version WHERE id=?", (vid,))


def known_wards(conn: Db) -> set[str] | None:
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


def is_empty(conn: Db) -> bool:
    """True when no kind has a current version."""
    row = conn.execute("SELECT COUNT(*) FROM dataset_version WHERE status='current'").fetchone()
    return bool(row[0] == 0)


def missing_kinds(conn: Db) -> list[str]:
    """The kinds of dataset that have no current version."""
    have = versions(conn)
    return [k for k in KINDS if k not in have]


def forget_chat(conn: Db, chat_id: int) -> dict[str, int]:
    """Delete every row stored about a chat; return how many went from each table."""
    erased: dict[str, int] = {}
    with transaction(conn):
        for table, column in CHAT_TABLES:
            cur = conn.execute(f"DELETE FROM {table} WHERE {column}=?", (chat_id,))
            if cur.rowcount:
                erased[table] = cur.rowcount
    return erased


class Store:
    """The async face of the store: the functions above run in worker threads."""

    def __init__(self, where: Location | Path | str) -> None:
        self.location = as_location(where)
        self._connections = Connections(self.location)
        self._write_lock = asyncio.Lock()

    @property
    def path(self) -> Path | None:
        """The SQLite file (None for a PostgreSQL store)."""
        return self.location.path

    async def open(self) -> None:
        """Create or migrate the store, then get ready to use it."""
        await asyncio.to_thread(self._connections.open)

    async def close(self) -> None:
        await asyncio.to_thread(self._connections.close)

    def _run(self, fn: Callable[[Db], T]) -> asyncio.Future[T]:
        return asyncio.ensure_future(asyncio.to_thread(self._connections.call, fn))

    async def versions(self, status: str = "current") -> dict[str, Version]:
        return await self._run(lambda c: versions(c, status))

    async def write(self, loads: Mapping[Kind, LoadInput] | Iterable[tuple[Kind, LoadInput]], *,
                    force: bool = False, missing_only: bool = False) -> list[Version]:
        """Write new versions of the given kinds (see write_versions) off the event loop."""
        async with self._write_lock:
            return await self._run(lambda c: write_versions(c, loads, force=force,
                                                            missing_only=missing_only))

    async def run(self, fn: Callable[[Db], T]) -> T:
        """Run a synchronous function on a connection in a worker thread."""
        return await self._run(fn)
