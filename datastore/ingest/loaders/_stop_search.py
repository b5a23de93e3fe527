"""police.uk stop and search: the API's JSON array, or the bulk-download CSV.

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
# The fields an API record must have for a JSON array to count as stop search.
API_SIGNATURE = frozenset(
    {"age_range", "datetime", "location", "object_of_search", "officer_defined_ethnicity", "type"}
)
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
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    data: dict[str, object] = {"month": months, "borough": v.as_str(borough)}
    for out, _, _ in TEXT_FIELDS:
        data[out] = v.as_str(np.asarray(texts[out], dtype=object))
    data["has_location"] = has_location
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
    return _frame(months, borough, texts, has_location)


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
    return _frame(months, borough, texts, has_location)
