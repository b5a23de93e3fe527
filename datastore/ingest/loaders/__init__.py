"""Load WardWatch's source files: recognise, read, validate, and return long-format frames.

Public API
    ``detect_kind(path)``            the kind of a file, from its content alone
    ``read_file(path, kind=None, *, known_wards=None, borough_boundaries=None)``
                                     one validated file as a :class:`Loaded`
    ``combine(kind, parts)``         several loaded files of one kind as one dataset version
    ``order_sources(paths)``         the order ``combine`` expects ("revised" files last)
    ``peek_months(path)``            a file's kind and a crime extract's header months, unread

Conventions
    * Content, not names, decides the kind.  gzip is recognised by its magic bytes; a file
      named ``.gz`` whose content is not gzip is rejected as mislabelled.  (The one use of a
      name: the Home Office's taser tables cleaned to CSV carry no dates, so their period
      comes from the name; its own ODS tables say theirs.)
    * Text must be UTF-8 (a UTF-8 byte-order mark is accepted); UTF-16 and bytes that are
      not UTF-8 are rejected.  Exception: the Met's Use of Force CSV falls back to
      Windows-1252, the encoding its exports use.
    * Every problem is a :class:`~datastore.errors.LoadError` naming the file (the path as
      given), and where one applies the row and the column.  For CSV the row is the line
      number in the (decompressed) file, counting the header as row 1, so the first data row
      is row 2 (a quoted field spanning lines counts from its first line).  For JSON stop
      search the row is the 1-based record number and the column the field; a JSON syntax
      error gives its text line as the row.  For GeoJSON the row is the 1-based feature.
    * Missing text values (stop search) are ``""``; a borough of ``""`` means "not placed".
    * Crime counts are kept as published, zeros included: each wide row becomes one long row
      per published month column (the stub month too), and ``Loaded.months`` lists every
      month column, sorted.
    * ``Loaded.source`` is the file name (no directory), or the names joined with " + " for a
      combined dataset.

Each kind's details are in its module's docstring (``_crime``, ``_population``,
``_postcodes``, ``_stop_search``, ``_taser`` and ``_home_office``, ``_boundaries``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from datastore.errors import LoadError
from datastore.ingest import SNAPSHOT_DIR
from datastore.ingest.loaders import (
    _boundaries,
    _crime,
    _home_office,
    _population,
    _postcodes,
    _stop_search,
    _taser,
)
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._detect import (
    MAX_BYTES,
    MAX_CELLS,
    MAX_MONTHS,
    MAX_ROWS,
    Sniffed,
    cap_for,
    sniff,
    unknown,
    unknown_header,
)
from datastore.ingest.loaders._source import CsvTable, decode_text, read_csv_table, read_xlsx
from datastore.storage.kinds import COLUMNS, KINDS, TASER_NOT_STATED, TASER_TYPES, Kind, Loaded

__all__ = [
    "COLUMNS",
    "DEFAULT_BOROUGH_BOUNDARIES",
    "KINDS",
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_MONTHS",
    "TASER_TYPES",
    "Kind",
    "LoadError",
    "Loaded",
    "cap_for",
    "combine",
    "detect_kind",
    "order_sources",
    "peek_months",
    "read_file",
]

DEFAULT_BOROUGH_BOUNDARIES = SNAPSHOT_DIR / "london_boroughs.geojson.gz"

_CSV_KINDS = frozenset(
    {"ward_crime", "borough_crime", "ward_population", "borough_population", "postcodes"}
)
_BOUNDARY_KINDS = frozenset({"ward_boundaries", "borough_boundaries"})


def detect_kind(path: str | Path) -> Kind:
    """The kind of a data file, recognised from its content (header, JSON shape)."""
    found = sniff(path, full=False)
    if found.kind is None:
        raise unknown_header(found.src, found.header)
    return found.kind


def peek_months(path: str | Path) -> tuple[Kind | None, tuple[int, ...]]:
    """A file's kind, and for a crime extract the months its header names (sorted), without
    reading its rows; other kinds give no months.  Only what the start of the file shows is
    validated (read_file does the rest): a crime extract cut short within its header or
    before its first row, or with more months than any (`MAX_MONTHS`), is a LoadError."""
    found = sniff(path, full=False)
    months: list[int] = []
    if found.kind in ("ward_crime", "borough_crime"):
        data = found.src.data
        end = data.find(b"\n")
        if end < 0 or not data[end + 1:].strip():
            raise LoadError(found.src.label, "the file ends in its header or right after it, "
                            "with no rows: it is cut short, not an extract", row=1)
        for name in found.header:
            if v.MONTH_HEADER.fullmatch(name) and 1 <= int(name[4:]) <= 12:
                months.append(int(name))
        if not months:
            raise LoadError(found.src.label, "the header has no month (YYYYMM) columns", row=1)
    return found.kind, tuple(sorted(months))


# --------------------------------------------------------------------------------------
# reading


def read_file(
    path: str | Path,
    kind: Kind | None = None,
    *,
    known_wards: Collection[str] | None = None,
    borough_boundaries: str | Path | None = None,
) -> Loaded:
    """Read and validate one file; the frame has exactly ``COLUMNS[kind]``, in order.

    ``kind``: when given, the content must be of that kind (if the header is not recognised
    at all, the file is checked against that kind's header so the error names what is
    missing).  ``known_wards``: ward crime and ward population rows must use one of these
    ward codes.  ``borough_boundaries``: the borough GeoJSON used to place stop-search
    records that have a location but no borough (default: the bundled snapshot's).
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    found = sniff(path, kind)
    src = found.src
    if found.kind is None and kind is None:
        raise unknown_header(src, found.header)
    if found.kind is not None and kind is not None and found.kind != kind:
        raise LoadError(src.label, f"the content is {found.kind} data, not {kind}")
    actual = found.kind or kind
    if actual is None:  # unreachable: checked above; narrows the type
        raise unknown(src, "its header matches none")
    wards = set(known_wards) if known_wards is not None else None
    notes: tuple[str, ...] = ()
    if actual in _BOUNDARY_KINDS:
        _expect(found, "json", actual)
        frame, notes = _boundaries.load(src.label, found.payload, actual)
        months: tuple[int, ...] = ()
    elif actual == "taser" and found.fmt == "ods":
        frame, months, notes = _home_office.load_ods(src, found.payload)
    else:
        frame, months = _load(found, actual, wards, borough_boundaries)
    if frame.empty:
        raise LoadError(src.label, "the file holds no rows, only its header")
    frame = frame[list(COLUMNS[actual])].reset_index(drop=True)
    return Loaded(kind=actual, source=src.name, frame=frame, months=months, notes=notes)


def _expect(found: Sniffed, fmt: str, kind: Kind) -> None:
    if found.fmt != fmt:
        what = {"csv": "CSV", "json": "JSON", "xlsx": "an .xlsx workbook",
                "ods": "an OpenDocument spreadsheet"}
        raise LoadError(
            found.src.label, f"{kind} must be {what[fmt]}, but the file is {what[found.fmt]}"
        )


def _table(
    found: Sniffed, usecols: Sequence[str] | None = None, required: Sequence[str] = (),
    max_rows: int | None = None, why: str = "",
) -> CsvTable:
    """Read a recognised CSV, after checking its header has ``required`` and its encoding."""
    for column in required:
        if column not in found.header:
            raise LoadError(
                found.src.label, "the header lacks a required column", row=1, column=column
            )
    fallback = "cp1252" if found.taser_format == "uof" else None
    _, encoding = decode_text(
        found.src, header=found.header, delimiter=found.delimiter, fallback=fallback
    )
    if usecols is not None:
        usecols = [c for c in usecols if c in found.header]  # the loader names what is missing
    if max_rows is None and found.kind:
        max_rows = MAX_ROWS[found.kind]
    return read_csv_table(
        found.src, delimiter=found.delimiter, encoding=encoding, usecols=usecols,
        max_rows=max_rows, why=why,
    )


def _load(
    found: Sniffed,
    kind: Kind,
    wards: set[str] | None,
    borough_boundaries: str | Path | None,
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    src = found.src
    if kind in _CSV_KINDS:
        _expect(found, "csv", kind)
        if kind in ("ward_crime", "borough_crime"):
            _crime.columns(src.label, found.header, kind)  # before reading: name what lacks
            # Each row becomes a row of the long frame per month: bound rows x months.
            months = sum(1 for h in found.header if v.MONTH_HEADER.fullmatch(h))
            rows = min(MAX_ROWS[kind], MAX_CELLS // max(months, 1))
            table = _table(found, max_rows=rows, why=f" with its {months} month columns")
            if kind == "ward_crime":
                return _crime.load_ward(table, wards)
            return _crime.load_borough(table)
        if kind == "ward_population":
            return _population.load_ward(_table(found, _population.WARD_COLUMNS), wards), ()
        if kind == "borough_population":
            return _population.load_borough(_table(found, _population.BOROUGH_COLUMNS)), ()
        return _postcodes.load(_table(found, _postcodes.COLUMNS)), ()
    if kind == "stop_search":
        boundaries = borough_boundaries if borough_boundaries is not None else (
            DEFAULT_BOROUGH_BOUNDARIES
        )

        def locate() -> _stop_search.Locator:
            return _locator(boundaries)

        if found.fmt == "json":
            return _stop_search.load_api(src.label, found.payload, locate)
        _expect(found, "csv", kind)
        if _stop_search.is_mps(found.header):
            return _stop_search.load_mps(_table(found))
        return _stop_search.load_bulk(_table(found, _stop_search.BULK_COLUMNS), locate)
    # taser
    if found.fmt == "xlsx":
        sheet = read_xlsx(src, _taser.UOF_SHEET, header_only=False)
        return _taser.load_uof(_taser.table_from_sheet(src.label, sheet))
    _expect(found, "csv", kind)
    if found.taser_format == "uof":
        return _taser.load_uof(_table(found, _taser.wanted_columns(found.header)))
    return _home_office.load_ho(_table(found), src.name)


# --------------------------------------------------------------------------------------
# placing points in boroughs


def _locator(path: str | Path) -> _stop_search.Locator:
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        raise LoadError(str(path), "the borough boundaries file does not exist") from None
    return _cached_locator(str(p.resolve()), stat.st_mtime_ns, stat.st_size, str(path))


@functools.lru_cache(maxsize=4)
def _cached_locator(
    resolved: str, mtime_ns: int, size: int, label: str
) -> _stop_search.Locator:
    loaded = read_file(label, "borough_boundaries")
    geoms = _boundaries.shapes(loaded.frame)
    names = loaded.frame["name"].to_numpy(dtype=object)
    tree = shapely.STRtree(geoms)

    def locate(
        lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.object_]:
        points = shapely.points(lon, lat)
        point_idx, area_idx = tree.query(points, predicate="intersects")
        out = np.full(len(lon), "", dtype=object)
        if point_idx.size:
            order = np.lexsort((area_idx, point_idx))  # per point, the first area in file order
            point_idx, area_idx = point_idx[order], area_idx[order]
            _, first = np.unique(point_idx, return_index=True)
            out[point_idx[first]] = names[area_idx[first]]
        return out

    return locate


# --------------------------------------------------------------------------------------
# combining files

_P = TypeVar("_P", str, Path)


def order_sources(paths: Iterable[_P]) -> list[_P]:
    """Order files for :func:`combine`: by name, with names containing "revised" last.

    ``combine`` lets a later file win, so a revised table replaces the original it revises.
    """
    return sorted(paths, key=lambda p: ("revised" in Path(p).name.lower(), Path(p).name.lower()))


def combine(kind: Kind, parts: Sequence[Loaded]) -> Loaded:
    """Several files of one kind as one dataset version.

    * stop_search: months concatenated; a month present in several files is taken from the
      most complete source (the Met's extract, then police.uk's bulk file, then its API),
      the last of them in ``parts`` among equals.
    * taser: rows concatenated; an (area, period) present in several files is taken from the
      last of them (order the files with :func:`order_sources`).
    * ward_crime / borough_crime: exactly one file.  Each MPS extract re-codes its whole
      24-month window, so extracts are never stitched together.
    * every other kind: exactly one file.
    """
    if not parts:
        raise LoadError(f"<no {kind} files>", "there is nothing to combine")
    for part in parts:
        if part.kind != kind:
            raise LoadError(part.source, f"the file is {part.kind} data, not {kind}")
    if len(parts) == 1:
        return parts[0]
    names = ", ".join(p.source for p in parts)
    source = " + ".join(p.source for p in parts)
    if kind in ("ward_crime", "borough_crime"):
        raise LoadError(
            parts[1].source,
            f"{len(parts)} {kind} files given ({names}): each MPS extract re-codes its whole "
            "24-month window, so extracts must never be stitched; use exactly one (the newest)",
        )
    if kind == "stop_search":
        return _combine_stop_search(parts, source)
    if kind == "taser":
        return _combine_taser(parts, source)
    raise LoadError(
        parts[1].source, f"{len(parts)} {kind} files given ({names}): a {kind} dataset is one file"
    )


def _combine_stop_search(parts: Sequence[Loaded], source: str) -> Loaded:
    # Each month from the most complete source that has it (the Met's own extract, then
    # police.uk's bulk file, then its partial API), the last file among equals.
    winner: dict[int, int] = {}
    best: dict[int, tuple[int, int]] = {}
    for i, part in enumerate(parts):
        kinds = set(part.frame["source"])
        rank = max((_stop_search.SOURCE_RANK[k] for k in kinds), default=0)
        for month in part.months:
            if (rank, i) >= best.get(month, (-1, -1)):
                best[month] = (rank, i)
                winner[month] = i
    frames = [
        part.frame[part.frame["month"].isin([m for m in part.months if winner[m] == i])]
        for i, part in enumerate(parts)
    ]
    frame = pd.concat(frames, ignore_index=True)
    return Loaded(kind="stop_search", source=source, frame=frame, months=tuple(sorted(winner)))


def _combine_taser(parts: Sequence[Loaded], source: str) -> Loaded:
    key = ["area_type", "area_name", "period_start", "period_end"]
    stacked = pd.concat(
        [part.frame.assign(_part=i) for i, part in enumerate(parts)], ignore_index=True
    )
    latest = stacked.groupby(key, sort=False)["_part"].transform("max")
    kept = stacked[stacked["_part"] == latest].drop(columns="_part")
    rank = {t: i for i, t in enumerate((*TASER_TYPES, TASER_NOT_STATED))}
    kept = kept.assign(
        _force=kept["area_type"].ne("force"), _type=kept["deployment_type"].map(rank)
    )
    kept = kept.sort_values(
        ["period_start", "period_end", "_force", "area_name", "_type"], kind="stable"
    )
    frame = kept.drop(columns=["_force", "_type"]).reset_index(drop=True)
    months: set[int] = set()
    for start, end in frame[["period_start", "period_end"]].drop_duplicates().itertuples(
        index=False
    ):
        months.update(
            v.month_range(int(start.replace("-", "")), int(end.replace("-", "")))
        )
    return Loaded(kind="taser", source=source, frame=frame, months=tuple(sorted(months)))


