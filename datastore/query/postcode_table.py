"""The postcode table of one version, read from the store as answers need it.

180,000 postcodes held as Python objects cost about 100 MB and seconds to build; an indexed
SQLite look-up costs some 20 µs (PostgreSQL on the same machine: some 100 µs).  So a view
keeps only the postcodes' coordinates (two float32 arrays and their rowids, for the nearest
postcode to a shared location) and asks the store for the rest, on a read-only connection
of its own.  A view is immutable and so is its version: the connection only ever reads that
version's rows.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from datastore.query.memo import memo
from datastore.query.models import DistrictWard, Place
from datastore.storage import blobs
from datastore.storage.db import Db

KM_PER_LAT: Final = 111.2
KM_PER_LON: Final = 69.6  # at London's latitude
_COLUMNS: Final = "postcode, outcode, ward_code, ward_name, lad_code, lad_name, lat, lon"


def _place(row: tuple[object, ...]) -> Place:
    pc, oc, wc, wn, lc, ln, lat, lon = row
    return Place(str(pc), str(oc), str(wc), str(wn), str(lc), str(ln),
                 None if lat is None else float(lat),  # type: ignore[arg-type]
                 None if lon is None else float(lon))  # type: ignore[arg-type]


def _ward_places(rows: list[blobs.WardPlaceRow]) -> dict[str, Place]:
    """Every ward as a place with no postcode, in the district with most of its postcodes."""
    return {ward: Place("", outcode, ward, name, lad_code, lad_name, None, None)
            for ward, outcode, name, lad_code, lad_name in rows}


@dataclass(eq=False)
class PostcodeTable:
    """One postcodes version: look-ups through SQLite, coordinates in memory."""

    version_id: int
    _conn: Db
    rowids: npt.NDArray[np.int64]
    xy: npt.NDArray[np.float32]  # equirectangular km: good enough within London
    _lock: threading.Lock
    # Each ward as a place with no postcode (about 700): stored with the version (a blob),
    # because the postcodes have no index by ward (a query per ward would scan them all).
    _ward_places: dict[str, Place]

    @classmethod
    def open(cls, conn: Db, version_id: int) -> PostcodeTable:
        """The table of a version, on a new read-only connection to `conn`'s store (closed
        with the table)."""
        reader = conn.reader() or conn
        stored = blobs.read(conn, version_id)
        found, places = blobs.postcode_points(stored), blobs.ward_places(stored)
        del stored  # before the arrays below: else the process keeps both sizes
        if found is None:  # a version loaded before the blobs existed: read its rows
            found = blobs.postcode_points(blobs.postcode_blobs(conn, version_id))
            assert found is not None
        if places is None:
            places = blobs.ward_place_rows(reader, version_id)
        rowids, points = found
        lat, lon = points[:, 0], points[:, 1]
        known = ~(np.isnan(lat) | np.isnan(lon))
        xy = np.column_stack((np.where(known, lon * KM_PER_LON, np.inf),
                              np.where(known, lat * KM_PER_LAT, np.inf))).astype(np.float32)
        table = cls(version_id, reader, rowids, xy, threading.Lock(), _ward_places(places))
        if reader is not conn:
            weakref.finalize(table, reader.close)
        return table

    def _all(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def __len__(self) -> int:
        return len(self.rowids)

    @memo(4096)
    def place(self, postcode: str) -> Place | None:
        """The place of a normalised postcode, or None."""
        rows = self._all(f"SELECT {_COLUMNS} FROM postcodes WHERE version_id=? AND postcode=?",
                         (self.version_id, postcode))
        return _place(rows[0]) if rows else None

    def nearest(self, lat: float, lon: float) -> tuple[Place, float] | None:
        """The postcode nearest to a point, and its distance in km."""
        if not len(self.rowids):
            return None
        d = ((self.xy[:, 0] - np.float32(lon * KM_PER_LON)) ** 2
             + (self.xy[:, 1] - np.float32(lat * KM_PER_LAT)) ** 2)
        best = int(np.argmin(d))
        rows = self._all(f"SELECT {_COLUMNS} FROM postcodes WHERE rowid=?",
                         (int(self.rowids[best]),))
        return (_place(rows[0]), float(np.sqrt(d[best]))) if rows else None

    @memo(512)
    def district_wards(self, outcode: str) -> tuple[DistrictWard, ...]:
        """The wards with postcodes in a district, most postcodes first."""
        rows = self._all(
            "SELECT ward_code, ward_name, lad_name, COUNT(*) AS n FROM postcodes "
            "WHERE version_id=? AND outcode=? GROUP BY ward_code, ward_name, lad_name "
            "ORDER BY n DESC, ward_code, ward_name, lad_name", (self.version_id, outcode))
        return tuple(DistrictWard(str(w), str(n), str(b), int(c))  # type: ignore[call-overload]
                     for w, n, b, c in rows)

    def ward_place(self, ward_code: str) -> Place | None:
        """A ward as a place with no postcode: its name and borough as the postcodes give
        them, and the district holding most of its postcodes; None if no postcode is in it."""
        return self._ward_places.get(ward_code)

    def district_example(self, outcode: str) -> str | None:
        """A real postcode in the district (the first in the table)."""
        rows = self._all("SELECT postcode FROM postcodes WHERE version_id=? AND outcode=? "
                         "ORDER BY rowid LIMIT 1", (self.version_id, outcode))
        return str(rows[0][0]) if rows else None

    def ward_boroughs(self) -> dict[str, tuple[str, str]]:
        """Each ward's borough (code, name), as the postcodes place them."""
        return {w: (p.lad_code, p.lad_name) for w, p in self._ward_places.items()}

    def placed(self, batch: int = 8192) -> Iterator[tuple[str, str, str]]:
        """Every postcode with its ward and borough codes, in table order, read in batches on
        a connection of its own (the whole table is never in memory at once, and look-ups on
        the shared connection are not held up meanwhile)."""
        sql = ("SELECT postcode, ward_code, lad_code FROM postcodes WHERE version_id=? "
               "ORDER BY rowid")
        try:
            conn = self._conn.reader(existing=True)
        except Exception:  # the store is gone (a file replaced under a running view)
            conn = None
        if conn is None:  # all at once through the shared connection
            for postcode, ward, lad in self._all(sql, (self.version_id,)):
                yield str(postcode), str(ward), str(lad)
            return
        try:
            cursor = conn.execute(sql, (self.version_id,))
            while rows := cursor.fetchmany(batch):
                for postcode, ward, lad in rows:
                    yield str(postcode), str(ward), str(lad)
        finally:
            conn.close()

    def wards_in(self, lad_code: str) -> list[tuple[str, str, str, str]]:
        """The wards of a borough as the postcodes name them: (code, name, borough code,
        borough name)."""
        return [(str(w), str(n), str(c), str(b)) for w, n, c, b in self._all(
            "SELECT ward_code, MIN(ward_name), MIN(lad_code), MIN(lad_name) FROM postcodes "
            "WHERE version_id=? AND lad_code=? GROUP BY ward_code ORDER BY ward_code",
            (self.version_id, lad_code))]

    def postcodes(self) -> list[str]:
        """Every postcode, in table order."""
        return [str(r[0]) for r in self._all(
            "SELECT postcode FROM postcodes WHERE version_id=? ORDER BY rowid",
            (self.version_id,))]
