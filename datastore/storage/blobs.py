"""Compact copies of a version's data, written with it, so the view can be built fast.

A crime version is stored only as a matrix: its counts (int32, one row per area, major and
minor type, one column per month), its row heads and months (JSON).  Half a million rows of
ward crime, one per ward, type and month, took over half the store and a second and a half
of a first run to write, and nothing read them but the view, which wants the matrix.  A
postcodes version keeps its rows (the lookups read them by index) and adds its rowids and
coordinates as NumPy arrays and each ward's place (JSON).  Reading them back is a copy, not a
parse.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from datastore.storage.db import Db

if TYPE_CHECKING:  # only writing blobs needs pandas: imported there
    import pandas as pd

log = logging.getLogger(__name__)

# The head columns of each crime kind's rows, in the order the store sorts them.
HEADS: Final[dict[str, tuple[str, ...]]] = {
    "ward_crime": ("ward_code", "ward_name", "borough_name", "major", "minor"),
    "borough_crime": ("borough_name", "major", "minor"),
}


def _array(values: npt.NDArray[np.generic]) -> bytes:
    buf = io.BytesIO()
    np.save(buf, values, allow_pickle=False)
    return buf.getvalue()


def narrowed(values: npt.NDArray[np.integer], dtype: type[np.signedinteger], what: str
             ) -> npt.NDArray[np.signedinteger]:
    """`values` as the smaller integer `dtype`, or OverflowError if any would not fit: numpy's
    astype wraps silently (2,147,483,653 becomes -2,147,483,643 in an int32)."""
    info = np.iinfo(dtype)
    if values.size and (int(values.min()) < info.min or int(values.max()) > info.max):
        raise OverflowError(f"{what} from {int(values.min()):,} to {int(values.max()):,} do not "
                            f"fit in {info.dtype} ({info.min:,} to {info.max:,})")
    return values.astype(dtype)


def _load(data: bytes) -> npt.NDArray[np.generic]:
    loaded: npt.NDArray[np.generic] = np.load(io.BytesIO(data), allow_pickle=False)
    return loaded


def write(conn: Db, version_id: int, blobs: dict[str, bytes]) -> None:
    conn.executemany("INSERT INTO version_blob (version_id, name, data) VALUES (?, ?, ?) "
                     "ON CONFLICT (version_id, name) DO UPDATE SET data = excluded.data",
                     [(version_id, k, v) for k, v in blobs.items()])


def read(conn: Db, version_id: int) -> dict[str, bytes]:
    return {str(name): bytes(data) for name, data in conn.execute(
        "SELECT name, data FROM version_blob WHERE version_id=?", (version_id,))}


@dataclass(frozen=True, eq=False)
class CrimeMatrix:
    """A crime version as the view holds it: one row per (area, major, minor), sorted by
    area, one column per month; the categories as indices into two short lists."""

    months: tuple[int, ...]
    areas: list[tuple[str, ...]]  # each area's columns (code, name, borough / name)
    starts: npt.NDArray[np.int64]  # the first row of each area, and the row count last
    majors: list[str]
    minors: list[str]
    major_idx: npt.NDArray[np.int16]
    minor_idx: npt.NDArray[np.int16]
    counts: npt.NDArray[np.int64]

    def keys(self, start: int, stop: int) -> list[tuple[str, str]]:
        """(major, minor) of rows start..stop."""
        return [(self.majors[a], self.minors[b]) for a, b in
                zip(self.major_idx[start:stop].tolist(), self.minor_idx[start:stop].tolist(),
                    strict=True)]


def _matrix(kind: str, heads: pd.DataFrame, months: list[int],
            counts: npt.NDArray[np.int64]) -> CrimeMatrix:
    import pandas as pd

    area_cols = list(HEADS[kind][:-2])
    codes = heads[area_cols[0]].to_numpy(dtype=object)
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1 if len(codes) else np.array([], int)
    starts = np.concatenate(([0], change, [len(codes)])).astype(np.int64) if len(codes) \
        else np.zeros(1, np.int64)
    areas = [tuple(str(v) for v in row) for row in
             heads[area_cols].iloc[starts[:-1]].to_numpy(dtype=object).tolist()]
    major_codes, majors = pd.factorize(heads["major"].to_numpy(dtype=object))
    minor_codes, minors = pd.factorize(heads["minor"].to_numpy(dtype=object))
    return CrimeMatrix(tuple(months), areas, starts, [str(m) for m in majors],
                       [str(m) for m in minors], narrowed(major_codes, np.int16, "major types"),
                       narrowed(minor_codes, np.int16, "minor types"), counts.astype(np.int64))


def crime_blobs(kind: str, frame: pd.DataFrame) -> dict[str, bytes]:
    """The matrix of a crime frame sorted as the store sorts it (area, major, minor, month;
    every row with every month)."""
    months = [int(m) for m in np.unique(frame["month"].to_numpy(dtype=np.int64))]
    heads = frame[list(HEADS[kind])].iloc[::len(months)] if months else frame.head(0)
    counts = frame["count"].to_numpy(dtype=np.int64)
    if len(months) * len(heads) != len(counts) or not np.array_equal(
            frame["month"].to_numpy(dtype=np.int64).reshape(len(heads), len(months)),
            np.broadcast_to(np.array(months, dtype=np.int64), (len(heads), len(months)))):
        raise ValueError(f"{kind}: not one row per month per type")
    return matrix_blobs(_matrix(kind, heads, months, counts.reshape(len(heads), len(months))))


def matrix_blobs(m: CrimeMatrix) -> dict[str, bytes]:
    return {
        "meta": json.dumps({"months": list(m.months), "areas": m.areas, "majors": m.majors,
                            "minors": m.minors}).encode(),
        "starts": _array(m.starts),
        "major_idx": _array(m.major_idx),
        "minor_idx": _array(m.minor_idx),
        "counts": _array(narrowed(m.counts, np.int32, "crime counts")),
    }


def crime_matrix(blobs: dict[str, bytes]) -> CrimeMatrix | None:
    """A crime version's matrix from its blobs, or None if it has none."""
    if not {"meta", "starts", "major_idx", "minor_idx", "counts"} <= set(blobs):
        return None
    meta = json.loads(blobs["meta"])
    return CrimeMatrix(
        tuple(int(m) for m in meta["months"]), [tuple(a) for a in meta["areas"]],
        _load(blobs["starts"]).astype(np.int64), list(meta["majors"]), list(meta["minors"]),
        _load(blobs["major_idx"]).astype(np.int16), _load(blobs["minor_idx"]).astype(np.int16),
        _load(blobs["counts"]).astype(np.int64))


def stored_matrix(conn: Db, version_id: int) -> CrimeMatrix:
    """A crime version's matrix, as the store holds it."""
    found = crime_matrix(read(conn, version_id))
    if found is None:
        raise LookupError(f"crime version {version_id} has no matrix in the store")
    return found


def empty_matrix() -> CrimeMatrix:
    """The matrix of a kind the store has no version of."""
    return CrimeMatrix((), [], np.zeros(1, np.int64), [], [], np.zeros(0, np.int16),
                       np.zeros(0, np.int16), np.zeros((0, 0), np.int64))


def area_totals(m: CrimeMatrix, month: int) -> dict[str, int]:
    """Every area's total of all types in one month of the matrix (by its first column, the
    ward code or borough name)."""
    if month not in m.months or not m.areas:
        return {}
    column = m.counts[:, m.months.index(month)]
    sums = np.add.reduceat(column, m.starts[:-1]) if len(column) else np.zeros(len(m.areas))
    return {area[0]: int(n) for area, n in zip(m.areas, sums.tolist(), strict=True)}


def sort_columns(kind: str) -> list[str]:
    """The order the rows of a crime frame must be in for its matrix: area, major, minor,
    month (so the counts, in order, are the matrix without sorting or pivoting)."""
    return [HEADS[kind][0], "major", "minor", "month"]


def add_ward_places(conn: Db) -> None:
    """Schema version 6: each postcodes version gets its ward places as a blob (read when a
    view opens: the scan they come from took a tenth of a second of every start)."""
    for (vid,) in conn.execute(
            "SELECT id FROM dataset_version WHERE kind='postcodes' AND id NOT IN "
            "(SELECT version_id FROM version_blob WHERE name='ward_places')").fetchall():
        write(conn, vid, ward_places_blob(conn, vid))


def rows_to_matrices(conn: Db) -> None:
    """Schema version 6: each crime version written only as rows (before version 5) gets
    its matrix, so the row tables can go.  A version whose rows make no matrix (not every
    type in every month: no loader writes that) is dropped and logged; it is re-loadable
    from its publisher, and the snapshot fills a kind left with no current version.  pandas
    is imported only if a version needs it: a store written since version 5 has none, and
    the bot that opens it should not carry pandas from then on."""
    for vid, kind in conn.execute(
            "SELECT id, kind FROM dataset_version WHERE kind IN ('ward_crime', 'borough_crime') "
            "AND id NOT IN (SELECT version_id FROM version_blob WHERE name='counts')"
            ).fetchall():
        import pandas as pd

        columns = [*HEADS[kind], "month", "count"]
        frame = pd.DataFrame(conn.execute(
            f"SELECT {', '.join(columns)} FROM {kind} WHERE version_id=?", (vid,)).fetchall(),
            columns=columns)
        try:
            blobs = crime_blobs(kind, frame.sort_values(sort_columns(kind), kind="stable"))
        except ValueError as exc:
            log.warning("dropping %s version %d, whose rows make no matrix: %s", kind, vid, exc)
            conn.execute("DELETE FROM dataset_version WHERE id=?", (vid,))
            continue
        write(conn, vid, blobs)


def postcode_blobs(conn: Db, version_id: int) -> dict[str, bytes]:
    """The rowids and coordinates of a postcodes version, in rowid order (NaN: unknown), and
    its ward places (`ward_place_rows`)."""
    rows = np.array(conn.execute(
        "SELECT rowid, COALESCE(lat, 'nan'), COALESCE(lon, 'nan') FROM postcodes "
        "WHERE version_id=? ORDER BY rowid", (version_id,)).fetchall(), dtype=float)
    rows = rows.reshape(-1, 3)
    return {"rowids": _array(rows[:, 0].astype(np.int64)),
            "points": _array(rows[:, 1:].astype(np.float32)),
            **ward_places_blob(conn, version_id)}


WardPlaceRow = tuple[str, str, str, str, str]  # ward code, outcode, ward name, borough code, name


def ward_place_rows(conn: Db, version_id: int) -> list[WardPlaceRow]:
    """Every ward of a postcodes version with the district holding most of its postcodes
    (ties: the first outcode in order): one scan of the table, which has no index by ward."""
    best: dict[str, tuple[int, WardPlaceRow]] = {}
    for ward, outcode, name, lad_code, lad_name, n in conn.execute(
            "SELECT ward_code, outcode, ward_name, lad_code, lad_name, COUNT(*) FROM postcodes "
            "WHERE version_id=? GROUP BY ward_code, outcode, ward_name, lad_code, lad_name",
            (version_id,)):
        here = best.get(ward)
        if here is None or (-n, outcode) < (-here[0], here[1][1]):
            best[str(ward)] = (int(n), (str(ward), str(outcode), str(name), str(lad_code),
                                        str(lad_name)))
    return [row for _n, row in best.values()]


def ward_places_blob(conn: Db, version_id: int) -> dict[str, bytes]:
    return {"ward_places": json.dumps(ward_place_rows(conn, version_id)).encode()}


def ward_places(blobs: dict[str, bytes]) -> list[WardPlaceRow] | None:
    """A postcodes version's ward places from its blobs, or None."""
    if "ward_places" not in blobs:
        return None
    return [(str(w), str(o), str(n), str(c), str(b))
            for w, o, n, c, b in json.loads(blobs["ward_places"])]


def postcode_points(blobs: dict[str, bytes]
                    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
    """(rowids, [lat, lon] per row) from a postcodes version's blobs, or None."""
    if not {"rowids", "points"} <= set(blobs):
        return None
    rowids: npt.NDArray[np.int64] = _load(blobs["rowids"]).astype(np.int64)
    points: npt.NDArray[np.float32] = _load(blobs["points"]).astype(np.float32)
    return rowids, points
