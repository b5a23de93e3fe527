"""Stop and search: police.uk's API JSON array or bulk-download CSV, or the Met's own dashboard
extract (London Datastore ``e6yjz``).

* Every row is one search record, with ``count`` (1 for police.uk; the Met's ``Count``) and
  ``source``: ``api`` (police.uk's open API, which for the Met holds only part of its searches:
  about a third in 2024-25), ``bulk`` (police.uk's bulk CSV, complete for what the force
  uploads) or ``mps`` (the Met's own extract, counted by the borough of the search).

* Month: police.uk timestamps are UTC; a record's month is its month in London local time
  (Europe/London).  This is how police.uk files records: a search at 00:30 BST on 1 September
  is stamped ``...08-31T23:30:00+00:00`` and sits in the September file.
* Missing text (absent field, ``null``, or ``false``) becomes ``""``.
* Borough: a non-empty ``borough`` field is used as it is.  Otherwise a record with a location
  is placed by point-in-polygon against the borough boundaries (a point on a shared edge goes
  to the first borough in the boundary file); a located point inside no borough gets ``""``
  with ``has_location`` True.  A record with no location gets ``""`` and ``has_location``
  False.
* For the JSON format a LoadError's row is the 1-based record number and its column the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable
from datastore.ingest.publishers.police_uk import RECORD_FIELDS

# The bulk CSV's header, as data.police.uk writes it.
BULK_COLUMNS = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
# The Met's dashboard extract.  Only ``Borough of Stop``, ``Borough Code``, ``Year_Month``,
# ``Date``/``StopDate`` and ``Count`` are documented names; the others are what the
# documentation describes (gender, ethnic appearance, self-defined ethnicity group,
# legislation, outcome, age, object of search) under names not yet seen in a real file.  The
# loader therefore refuses any header that is not exactly this set, naming the difference, so
# the first real file is checked rather than misread.
MPS_DATE_COLUMNS = ("StopDate", "Date")
MPS_COLUMNS = (
    ("borough", "Borough of Stop"),
    ("borough_code", "Borough Code"),
    ("month", "Year_Month"),
    ("count", "Count"),
    ("gender", "Gender"),
    ("age_range", "Age Group"),
    ("officer_ethnicity", "Ethnic Appearance"),
    ("self_ethnicity", "Self Defined Ethnicity Group"),
    ("legislation", "Legislation"),
    ("object_of_search", "Search Reason"),
    ("outcome", "Outcome"),
)
MPS_SIGNATURE = frozenset({"Borough of Stop", "Year_Month"})
SOURCE_RANK = {"api": 0, "bulk": 1, "mps": 2}  # more complete sources win a month

# The fields an API record must have for a JSON array to count as stop search (the ones
# police.uk's adapter checks every record of an answer for).
API_SIGNATURE = frozenset(RECORD_FIELDS)
# Output column -> API field -> bulk CSV column.
TEXT_FIELDS = (
    ("type", "type", "Type"),
    ("object_of_search", "object_of_search", "Object of search"),
    ("legislation", "legislation", "Legislation"),
    ("outcome", "outcome", "Outcome"),
    ("age_range", "age_range", "Age range"),
    ("officer_ethnicity", "officer_defined_ethnicity", "Officer-defined ethnicity"),
    ("self_ethnicity", "self_defined_ethnicity", "Self-defined ethnicity"),
    ("gender", "gender", "Gender"),
)
LONDON = "Europe/London"

# (longitudes, latitudes) -> borough name per point, "" where no borough contains it.
Locator = Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], npt.NDArray[np.object_]]


def is_api_records(obj: Any) -> bool:
    """A JSON array whose first record has the police.uk stop-search fields."""
    return (
        isinstance(obj, list)
        and bool(obj)
        and isinstance(obj[0], dict)
        and obj[0].keys() >= API_SIGNATURE
    )


def _months(
    values: Sequence[object], error: Callable[[int, object], LoadError]
) -> npt.NDArray[np.int64]:
    """YYYYMM in London time of each ISO 8601 timestamp (naive ones are taken as UTC)."""
    series = pd.Series(list(values), dtype=object)
    parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
    bad = v.first(parsed.isna())
    if bad is not None:
        raise error(bad, values[bad])
    local = parsed.dt.tz_convert(LONDON)
    months = np.asarray(local.dt.year * 100 + local.dt.month, dtype=np.int64)
    return months


def _frame(
    months: npt.NDArray[np.int64],
    borough: npt.NDArray[np.object_],
    texts: dict[str, list[str] | pd.Series],
    has_location: npt.NDArray[np.bool_],
    source: str,
    count: npt.NDArray[np.int64] | None = None,
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    data: dict[str, object] = {"month": months, "borough": v.as_str(borough)}
    for out, _, _ in TEXT_FIELDS:
        data[out] = v.as_str(np.asarray(texts[out], dtype=object))
    data["has_location"] = has_location
    data["source"] = v.as_str(np.full(len(months), source, dtype=object))
    data["count"] = np.ones(len(months), dtype=np.int64) if count is None else count
    frame = pd.DataFrame(data)
    return frame, tuple(int(m) for m in np.unique(months))


def _place(
    borough: npt.NDArray[np.object_],
    need: npt.NDArray[np.bool_],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    locate: Callable[[], Locator],
) -> None:
    if need.any():
        borough[need] = locate()(lon[need], lat[need])


def load_api(
    label: str, records: list[Any], locate: Callable[[], Locator]
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    n = len(records)
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise LoadError(label, "the record is not a JSON object", row=i + 1)

    def text_of(field: str) -> list[str]:
        out: list[str] = []
        for i, rec in enumerate(records):
            value = rec.get(field)
            if value is None or value is False:
                out.append("")
            elif isinstance(value, str):
                out.append(value.strip())
            else:
                raise LoadError(
                    label, f"expected text, found {type(value).__name__}", row=i + 1, column=field
                )
        return out

    texts: dict[str, list[str] | pd.Series] = {out: text_of(f) for out, f, _ in TEXT_FIELDS}
    outcome = texts["outcome"]
    for i, rec in enumerate(records):  # older API records carry the outcome as an object
        obj = rec.get("outcome_object")
        if not outcome[i] and isinstance(obj, dict) and isinstance(obj.get("name"), str):
            outcome[i] = obj["name"].strip()

    stamps = [rec.get("datetime") for rec in records]
    months = _months(
        stamps,
        lambda i, value: LoadError(
            label, f"{value!r} is not an ISO 8601 timestamp", row=i + 1, column="datetime"
        ),
    )
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    has_location = np.zeros(n, dtype=bool)
    borough = np.empty(n, dtype=object)
    for i, rec in enumerate(records):
        loc = rec.get("location")
        if loc is not None:
            if not isinstance(loc, dict):
                raise LoadError(
                    label, "the location is not an object", row=i + 1, column="location"
                )
            for key, target in (("latitude", lat), ("longitude", lon)):
                try:
                    target[i] = float(loc.get(key))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    target[i] = math.nan
                if not math.isfinite(target[i]):
                    raise LoadError(
                        label,
                        f"{loc.get(key)!r} is not a number",
                        row=i + 1,
                        column=f"location.{key}",
                    )
            has_location[i] = True
        name = rec.get("borough")
        if name is not None and not isinstance(name, str):
            raise LoadError(
                label, f"expected text, found {type(name).__name__}", row=i + 1, column="borough"
            )
        borough[i] = (name or "").strip()
    _place(borough, has_location & (borough == ""), lon, lat, locate)
    return _frame(months, borough, texts, has_location, "api")


def load_bulk(
    table: CsvTable, locate: Callable[[], Locator]
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    table.require("Date", "Latitude", "Longitude", *(col for _, _, col in TEXT_FIELDS))
    texts: dict[str, list[str] | pd.Series] = {
        out: v.text(table, col, required=False) for out, _, col in TEXT_FIELDS
    }
    dates = v.text(table, "Date")
    months = _months(
        list(dates),
        lambda i, value: LoadError(
            table.label,
            f"{value!r} is not an ISO 8601 timestamp",
            row=table.line(i),
            column="Date",
        ),
    )
    raw_lat = v.text(table, "Latitude", required=False)
    raw_lon = v.text(table, "Longitude", required=False)
    lat_empty = raw_lat.eq("").to_numpy(dtype=bool)
    lon_empty = raw_lon.eq("").to_numpy(dtype=bool)
    half = v.first(lat_empty != lon_empty)
    if half is not None:
        column = "Latitude" if lat_empty[half] else "Longitude"
        raise LoadError(
            table.label,
            "one coordinate is given without the other",
            row=table.line(half),
            column=column,
        )
    has_location = ~lat_empty
    coords: dict[str, npt.NDArray[np.float64]] = {}
    for column, raw in (("Latitude", raw_lat), ("Longitude", raw_lon)):
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = v.first(has_location & ~np.isfinite(num))
        if bad is not None:
            raise LoadError(
                table.label, f"{raw.iat[bad]!r} is not a number", row=table.line(bad), column=column
            )
        coords[column] = num
    borough = np.full(len(table.frame), "", dtype=object)
    _place(borough, has_location, coords["Longitude"], coords["Latitude"], locate)
    return _frame(months, borough, texts, has_location, "bulk")


def is_mps(header: Sequence[str]) -> bool:
    """A header with the Met dashboard extract's signature columns."""
    return set(header) >= MPS_SIGNATURE


def mps_expected() -> list[str]:
    return [name for _, name in MPS_COLUMNS] + ["StopDate (or Date)"]


def check_mps_header(label: str, header: Sequence[str]) -> str:
    """Refuse a dashboard extract whose columns are not exactly the documented set; return
    the name of its date column."""
    names = set(header)
    dates = [c for c in MPS_DATE_COLUMNS if c in names]
    expected = {name for _, name in MPS_COLUMNS}
    missing = sorted(expected - names) + ([] if dates else ["StopDate (or Date)"])
    extra = sorted(names - expected - set(MPS_DATE_COLUMNS)) + dates[1:]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"not expected {', '.join(extra)}")
        raise LoadError(
            label,
            "the Met's stop-and-search extract has other columns than the documented layout "
            f"({'; '.join(parts)}); expected exactly: {', '.join(mps_expected())}. Check the "
            "file against the London Datastore's description before loading it",
            row=1,
        )
    return dates[0]


def _mps_dates(table: CsvTable, column: str) -> npt.NDArray[np.int64]:
    """YYYYMM of each search date: DD/MM/YYYY (the Met's StopDate) or YYYY-MM-DD."""
    raw = v.text(table, column)
    dmy = pd.to_datetime(raw, format="%d/%m/%Y", errors="coerce")
    iso = pd.to_datetime(raw.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    parsed = dmy.fillna(iso)
    bad = v.first(parsed.isna())
    if bad is not None:
        raise LoadError(table.label, f"{raw.iat[bad]!r} is not a date (DD/MM/YYYY or "
                        "YYYY-MM-DD)", row=table.line(bad), column=column)
    return np.asarray(parsed.dt.year * 100 + parsed.dt.month, dtype=np.int64)


def load_mps(table: CsvTable) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """The Met's dashboard extract: one row per search (weighted by ``Count``), placed by the
    borough where the search took place."""
    date_column = check_mps_header(table.label, table.header)
    year_month = v.text(table, "Year_Month")
    ok = year_month.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    bad = v.first(~ok)
    if bad is not None:
        raise LoadError(table.label, f"{year_month.iat[bad]!r} is not a month (YYYY-MM)",
                        row=table.line(bad), column="Year_Month")
    months = np.asarray(
        year_month.str.slice(0, 4).astype(int) * 100 + year_month.str.slice(5, 7).astype(int),
        dtype=np.int64)
    dated = _mps_dates(table, date_column)
    off = v.first(dated != months)
    if off is not None:
        raise LoadError(table.label, f"the date is not in the month {year_month.iat[off]}",
                        row=table.line(off), column=date_column)
    count = v.counts(table, ["Count"], positive=True)[:, 0]
    field = dict(MPS_COLUMNS)
    texts: dict[str, list[str] | pd.Series] = {}
    for out, _, _ in TEXT_FIELDS:
        texts[out] = (v.text(table, field[out], required=False) if out in field
                      else pd.Series([""] * len(months), dtype="str"))
    borough = v.text(table, "Borough of Stop", required=False).to_numpy(dtype=object)
    has_location = np.ones(len(months), dtype=bool)
    return _frame(months, borough, texts, has_location, "mps", count)
